#!/bin/sh
echo "post_gen_project for {{ cookiecutter.project_slug }} fails on purpose" >&2
touch HOOK_RAN
exit 1
