#!/bin/sh
# rendered, and still executable
echo "{{ cookiecutter.project_slug }}"
