"""Inputs: the validated frames scoring trusts, the form payload, merging several evaluators, and
reading Excel workbooks with located problems.

- :mod:`.frames` — :class:`~assessment.inputs.frames.Inputs` and the columns of every sheet;
- :mod:`.payload` — one evaluator's form for one branch (the pages, the database and imports speak it);
- :mod:`.merge` — several evaluators' payloads for one branch merged into one;
- :mod:`.workbook` — the sheets' layout and the reader.
"""
