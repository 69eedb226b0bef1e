"""The shipped protocol declarations, one module each; importing this package registers every one of them.

A new protocol is one new module here that calls `PROTOCOLS.register(Protocol(...))` (or, from another
package, an `a2bench.protocols` entry point naming its Protocol object).
"""

import importlib
import pkgutil

for _module in pkgutil.iter_modules(__path__):
    importlib.import_module(f"{__name__}.{_module.name}")
