"""Reading and setting the optimizer's learning rate, for the callbacks that change it."""


def get_learning_rate(optimizer, owner):
    """The optimizer's learning rate as a float.

    Raises
    ------
    TypeError
        If the optimizer follows a schedule (its rate is not settable), with Keras's message.

    Example
    -------
    >>> from layerkit.optimizers import SGD
    >>> get_learning_rate(SGD(learning_rate=0.5), "LearningRateScheduler")
    0.5
    """
    if optimizer is None or not hasattr(optimizer, "learning_rate"):
        raise ValueError(f'{owner}: the optimizer must have a "learning_rate" attribute '
                         "(compile the model first).")
    if callable(optimizer.learning_rate):
        raise TypeError(f"{owner} cannot change the learning rate of optimizer "
                        f"{getattr(optimizer, 'name', optimizer)!r}: it was created with a "
                        "`LearningRateSchedule` object as its `learning_rate` constructor argument, "
                        "hence its learning rate is not settable. If you need the learning rate to "
                        "be settable, you should instantiate the optimizer with a float "
                        "`learning_rate` argument.")
    return float(optimizer.learning_rate)
