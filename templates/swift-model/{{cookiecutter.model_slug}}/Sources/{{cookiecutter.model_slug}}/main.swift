import {{ cookiecutter.type_name }}Model
import ModelKit

// Speaks Model Factory's JSON-RPC interface on stdin/stdout until `shutdown`.
ModelWorker.run({{ cookiecutter.type_name }}.self)
