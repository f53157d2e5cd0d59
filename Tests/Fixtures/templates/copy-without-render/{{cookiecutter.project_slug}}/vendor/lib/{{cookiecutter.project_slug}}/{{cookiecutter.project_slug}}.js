vendored in a folder named {{cookiecutter.project_slug}}: {{ cookiecutter.project_name }} {% if x %}{{ not_defined }}{% endif %}
