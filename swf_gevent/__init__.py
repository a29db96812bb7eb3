"""simple-workflow's gevent runtime: greenlet actors, signals and a runner.

Importing this package imports neither ssl nor botocore, so that
``python -m swf_gevent.run`` can monkey-patch before they load.
"""

import logging

logging.getLogger(__name__).addHandler(logging.NullHandler())
