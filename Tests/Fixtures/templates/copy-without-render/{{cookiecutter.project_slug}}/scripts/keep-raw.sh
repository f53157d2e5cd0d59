#!/bin/sh
echo "{{ cookiecutter.project_name }} {% if x %}{{ not_defined }}{% endif %}"
