"""Runs before the files are generated, in the (empty) project folder; rendered first."""
import os
import re
import sys

SLUG = "{{ cookiecutter.project_slug }}"

if not re.match(r"^[a-z][a-z0-9-]*$", SLUG):
    print(f"ERROR: {SLUG!r} is not a valid slug", file=sys.stderr)
    sys.exit(1)

# The current folder is the project folder, created but still empty.
with open("PRE_GEN.txt", "w", encoding="utf-8", newline="\n") as out:
    out.write("pre_gen_project saw slug {{ cookiecutter.project_slug }}\n")
    out.write(f"cwd is the project folder: {os.path.basename(os.getcwd()) == SLUG}\n")
    out.write(f"folder was empty: {sorted(os.listdir('.')) == ['PRE_GEN.txt']}\n")
{%- for name, on in cookiecutter.features.items() %}
    out.write("feature {{ name }}: {{ on }}\n")
{%- endfor %}
