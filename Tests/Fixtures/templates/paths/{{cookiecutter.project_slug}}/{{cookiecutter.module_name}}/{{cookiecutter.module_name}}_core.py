NAME = "{{ cookiecutter.module_name }}"
