from {{ cookiecutter.module_name }} import NAME
