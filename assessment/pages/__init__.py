"""The Voila pages, one subpackage each (``evaluate``, ``self_assess``, ``weights``, ``overview``), and the
pieces they share (:mod:`.components`). Every page has the same shape: one state object, views drawn from
it, and an ``*_app()`` function the page's notebook calls."""
