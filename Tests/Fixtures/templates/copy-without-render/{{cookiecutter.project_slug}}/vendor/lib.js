vendored {{ cookiecutter.project_name }} {% if x %}{{ not_defined }}{% endif %}
