"""Keras losses layerkit does not implement: named here so that using one says so plainly."""

from layerkit.losses.loss import Loss

_CTC_REASON = (
    "The CTC (connectionist temporal classification) loss is not implemented in layerkit: it "
    "sums over every alignment of a label sequence to a (batch, time, classes) output with a "
    "forward-backward pass, and layerkit has no sequence layers to train with it yet. For "
    "outputs aligned step by step with their labels use 'sparse_categorical_crossentropy'."
)
_CIRCLE_REASON = (
    "The Circle loss (metric learning on pairwise similarities of embeddings) is not "
    "implemented in layerkit. 'cosine_similarity' compares each embedding with its own target."
)


class CTC(Loss):
    """Keras's ``CTC`` loss: not implemented; constructing it raises NotImplementedError.

    Raises
    ------
    NotImplementedError
        Always, with the reason and what to use instead.

    Example
    -------
    >>> try:
    ...     CTC()
    ... except NotImplementedError as error:
    ...     print(str(error)[:71])
    The CTC (connectionist temporal classification) loss is not implemented
    """

    def __init__(self, reduction="sum_over_batch_size", name="ctc", dtype=None):
        raise NotImplementedError(_CTC_REASON)


def ctc(y_true, y_pred):
    """Keras's ``ctc`` function: not implemented; calling it raises NotImplementedError.

    Raises
    ------
    NotImplementedError
        Always.

    Example
    -------
    >>> try:
    ...     ctc(None, None)
    ... except NotImplementedError as error:
    ...     print(str(error)[:71])
    The CTC (connectionist temporal classification) loss is not implemented
    """
    raise NotImplementedError(_CTC_REASON)


class Circle(Loss):
    """Keras's ``Circle`` loss: not implemented; constructing it raises NotImplementedError.

    Raises
    ------
    NotImplementedError
        Always, with the reason.

    Example
    -------
    >>> try:
    ...     Circle()
    ... except NotImplementedError as error:
    ...     print(str(error)[:59])
    The Circle loss (metric learning on pairwise similarities o
    """

    def __init__(self, gamma=80.0, margin=0.4, remove_diagonal=True,
                 reduction="sum_over_batch_size", name="circle", dtype=None):
        raise NotImplementedError(_CIRCLE_REASON)


def circle(y_true, y_pred, ref_labels=None, ref_embeddings=None, remove_diagonal=True, gamma=80,
           margin=0.4):
    """Keras's ``circle`` function: not implemented; calling it raises NotImplementedError.

    Raises
    ------
    NotImplementedError
        Always.

    Example
    -------
    >>> try:
    ...     circle(None, None)
    ... except NotImplementedError as error:
    ...     print(str(error)[:59])
    The Circle loss (metric learning on pairwise similarities o
    """
    raise NotImplementedError(_CIRCLE_REASON)
