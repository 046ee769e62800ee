"""What the processes must agree on before they train together, and the error when they do not.

Every process computes a *signature* (plain values: shapes, dtypes, names, counts) of
what it was given, the signatures are all-gathered, and each process compares them
with process 0's: so a difference raises the same ``ValueError`` on every process,
and none is left waiting in a collective.
"""

from layerkit.layers import BatchNormalization

_INEXACT_REDUCTIONS = ("sum", "mean_with_sample_weight")


def model_signature(model):
    """What must be the same model on every process: its weights, optimizer and losses.

    Example
    -------
    >>> from layerkit import Sequential, layers
    >>> model = Sequential([layers.Input((3,)), layers.Dense(2)])
    >>> model.compile(optimizer="sgd", loss="mse")
    >>> model_signature(model)["weights"]
    ['(3, 2) float32', '(2,) float32']
    """
    config = {key: value for key, value in model.optimizer.get_config().items() if key != "name"}
    return {"weights": [f"{tuple(w.shape)} {w.dtype}" for w in model.weights],
            "trainable weights": len(model.trainable_weights),
            "optimizer": f"{type(model.optimizer).__name__}({sorted(config.items())})",
            "losses": [None if loss is None else f"{type(loss).__name__}({loss.reduction})"
                       for loss in model.output_losses]}


def data_signature(batches, auto_shard):
    """What must agree about an epoch iterator's data: every process must run the same steps.

    With ``auto_shard`` every process is given the whole data set (each reads its share
    of every batch), so the sample counts must agree too.
    """
    signature = {"samples": batches.data_adapter.num_samples,
                 "batch_size": batches.data_adapter.batch_size} if auto_shard else {}
    return {**signature, "batches per epoch": batches.num_batches,
            "steps_per_epoch": batches.steps_per_epoch, "caller": batches.caller}


def check_agreement(signatures, what, hint):
    """Raise the same ``ValueError`` on every process when a signature differs from process 0's.

    Parameters
    ----------
    signatures : list of dict
        One per process, in rank order (all-gathered).
    what : str
        What was compared ("the model of fit()").
    hint : str
        What to do about it.

    Raises
    ------
    ValueError
        Naming each process that differs, the first entry that differs, and both values.

    Example
    -------
    >>> check_agreement([{"samples": 10}, {"samples": 9}], "the data", "")
    Traceback (most recent call last):
    ...
    ValueError: The processes differ in the data: process 1 has samples=9 where process 0 has samples=10.
    """
    reference = signatures[0]
    problems = []
    for rank, signature in enumerate(signatures[1:], start=1):
        keys = [key for key in reference if signature.get(key) != reference[key]]
        if keys:
            theirs = ", ".join(f"{key}={signature.get(key)!r}" for key in keys)
            ours = ", ".join(f"{key}={reference[key]!r}" for key in keys)
            problems.append(f"process {rank} has {theirs} where process 0 has {ours}")
    if problems:
        raise ValueError(f"The processes differ in {what}: " + "; ".join(problems) + "."
                         + (f" {hint}" if hint else ""))


def refuse_inexact_training(model, num_processes):
    """Refuse what data parallelism cannot train as one process would.

    The processes' gradients are averaged weighted by their rows, which is the gradient
    of the global batch when every loss is a mean over the batch's samples. A loss that
    sums (``reduction="sum"``), divides by the sample weights' sum
    (``"mean_with_sample_weight"``) or ignores a class (a mean over a number of samples
    each process counts differently) is not; nor is a trainable ``BatchNormalization``,
    which would normalise with each process's share of the batch and keep different
    moving statistics on each process.

    Raises
    ------
    ValueError
        Naming the loss or layer, and what to do instead.
    """
    where = f"DataParallel over {num_processes} processes"
    for index, loss in enumerate(model.output_losses):
        if loss is None:
            continue
        name = model.output_names[index]
        if loss.reduction in _INEXACT_REDUCTIONS:
            raise ValueError(f"{where} trains losses that are a mean over the batch (the processes' "
                             f"gradients are averaged, weighted by their samples). The loss of output "
                             f"{name!r} has reduction={loss.reduction!r}: use 'sum_over_batch_size' "
                             f"(the default). Received: reduction={loss.reduction!r}")
        if getattr(loss, "ignore_class", None) is not None:
            raise ValueError(f"{where} cannot train with `ignore_class`: the loss of output {name!r} "
                             "is a mean over the samples not ignored, which each process counts "
                             f"differently. Received: ignore_class={loss.ignore_class!r}")
    for layer in model.flatten_layers():
        if isinstance(layer, BatchNormalization) and layer.trainable:
            raise ValueError(f"{where} cannot train layer {layer.name!r} (BatchNormalization): it "
                             "would normalise with each process's share of the batch and keep "
                             "different moving statistics on each process. Freeze it "
                             "(`layer.trainable = False`) or train on one process.")
