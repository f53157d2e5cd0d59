#!/bin/sh
# Runs after the files are generated, in the project folder; rendered first.
set -e
{
    echo "post_gen_project for {{ cookiecutter.project_name }}"
    echo "files seen by the hook:"
    find . -type f | LC_ALL=C sort
} > POST_GEN.txt
{% if cookiecutter.use_extra != 'yes' %}
rm -f extra.txt
{% endif %}
{% raw %}echo 'raw in a hook: ${{ not rendered }}' >> POST_GEN.txt{% endraw %}
