"""XGBoost script mode as the SageMaker examples write it: SM_* defaults, hyperparameters as arguments."""

import argparse
import json
import os

import xgboost as xgb
from helpers import read_channel  # a module next to the entry point, from source_dir

if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--max_depth", type=int, default=5)
    parser.add_argument("--eta", type=float, default=0.2)
    parser.add_argument("--objective", type=str, default="reg:squarederror")
    parser.add_argument("--num_round", type=int, default=10)
    parser.add_argument("--model_dir", type=str, default=os.environ.get("SM_MODEL_DIR"))
    parser.add_argument("--train", type=str, default=os.environ.get("SM_CHANNEL_TRAIN"))
    parser.add_argument("--validation", type=str, default=os.environ.get("SM_CHANNEL_VALIDATION"))
    args, _ = parser.parse_known_args()

    with open("/opt/ml/input/config/hyperparameters.json") as stream:
        assert json.load(stream)["num_round"] == str(args.num_round)
    train, validation = read_channel(args.train), read_channel(args.validation)
    dtrain = xgb.DMatrix(train.iloc[:, 1:], label=train.iloc[:, 0])
    dvalidation = xgb.DMatrix(validation.iloc[:, 1:], label=validation.iloc[:, 0])
    params = {"max_depth": args.max_depth, "eta": args.eta, "objective": args.objective}
    booster = xgb.train(params, dtrain, num_boost_round=args.num_round,
                        evals=[(dtrain, "train"), (dvalidation, "validation")])  # prints [i] validation-rmse:...
    booster.save_model(os.path.join(args.model_dir, "xgboost-model"))
    with open(os.path.join(os.environ["SM_OUTPUT_DATA_DIR"], "env.json"), "w") as stream:
        json.dump({"hosts": json.loads(os.environ["SM_HOSTS"]), "cwd": os.getcwd(),
                   "channels": json.loads(os.environ["SM_CHANNELS"])}, stream)
