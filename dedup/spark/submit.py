"""The entry script for ``spark-submit``: ``spark-submit [options] "$(dedup spark entry)" INPUT OUTPUT [--partitions N]``.

It takes the arguments of ``dedup spark scan``; the master and resources are
spark-submit's own options (``--master yarn``, ``--executor-memory 8g`` …).
"""

import sys

from dedup.cli import main

if __name__ == "__main__":
    sys.argv = ["dedup", "spark", "scan", *sys.argv[1:]]
    main()
