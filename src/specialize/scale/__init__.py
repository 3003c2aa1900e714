"""Apply a model to large inputs, resumably: local worker processes or a Ray Data actor pool.

Ray is imported only inside the ``ray`` engine; install it with ``pip install 'specialize[ray]'``.
"""

from specialize.scale.apply import ApplyResult, apply

__all__ = ["ApplyResult", "apply"]
