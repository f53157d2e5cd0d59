import ModelKit

ModelWorker.run(Churn.self)
