"""The arguments of ``save_model`` and ``Model.save`` beyond the path, checked as Keras checks them.

Keras 3's ``save_model(model, filepath, overwrite=True, zipped=None, **kwargs)`` takes
``zipped`` (None: a zip archive for a local path) and, in ``**kwargs``, two arguments
of Keras 2 (``include_optimizer``, ``save_format``); anything else is refused with
"The following argument(s) are not supported". layerkit writes one file only, so the
cases it cannot honour are refused here, before anything is written.
"""


def check_save_arguments(filepath, zipped=None, kwargs=None):
    """Refuse what layerkit cannot save as asked; return nothing when all is well.

    Parameters
    ----------
    filepath : str
        The target path (for the messages).
    zipped : bool, optional
        None or True: one file (a ``.keras`` zip archive, or ``.h5``). False asks for
        Keras's unzipped model folder, which layerkit does not write.
    kwargs : dict, optional
        The other keyword arguments given. ``include_optimizer=True`` (Keras's default,
        what layerkit always does) is taken; ``include_optimizer=False``,
        ``save_format`` and unknown names are refused.

    Raises
    ------
    ValueError
        Naming the refused argument, what was received and what to do instead.

    Example
    -------
    >>> check_save_arguments("m.keras", zipped=None, kwargs={"include_optimizer": True})
    >>> check_save_arguments("m.keras", kwargs={"compression": "gzip"})
    Traceback (most recent call last):
    ...
    ValueError: The following argument(s) are not supported: ['compression']
    """
    kwargs = dict(kwargs or {})
    include_optimizer = kwargs.pop("include_optimizer", True)
    if not include_optimizer:
        raise ValueError("layerkit always saves the optimizer's state with the model: "
                         "`include_optimizer=False` is not supported (compile the loaded model "
                         f"afresh instead). Received: include_optimizer={include_optimizer!r}")
    if "save_format" in kwargs:
        raise ValueError("The following argument(s) are not supported: ['save_format']: the "
                         "format follows the suffix (`.keras` or `.h5`), as Keras 3 advises. "
                         f"Received: save_format={kwargs['save_format']!r}")
    if kwargs:
        raise ValueError(f"The following argument(s) are not supported: {list(kwargs)}")
    if zipped is not None and not zipped:
        raise ValueError("layerkit saves a model as one file: `zipped=False` (Keras's unzipped "
                         "model folder) is not supported. Leave `zipped=None` (or True) and save "
                         "to a path ending in `.keras` (a zip archive Keras loads) or `.h5`. "
                         f"Received: zipped={zipped!r}, filepath={filepath}")
