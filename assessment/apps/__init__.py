"""ipywidgets apps, one module per page; the notebooks in notebooks/ only call them."""
