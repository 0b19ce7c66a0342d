import glob
import os

import pandas as pd


def read_channel(folder):
    return pd.concat([pd.read_csv(path, header=None) for path in sorted(glob.glob(os.path.join(folder, "*.csv")))])
