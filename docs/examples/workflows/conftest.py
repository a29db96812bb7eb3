"""pytest patches the standard library with gevent first, as every program running greenlets must."""

from gevent import monkey

monkey.patch_all()
