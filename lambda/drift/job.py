"""SageMaker Processing job entry point of the drift detector.

``python3 job.py partial ...`` on each shard, then ``python3 job.py merge ...`` (see
``drift_detector/processing.py``). Python puts this file's folder on ``sys.path``, so the
``drift_detector`` package uploaded with it is importable.
"""

import sys

from drift_detector.processing import main

if __name__ == "__main__":
    sys.exit(main())
