"""Keras-style model summaries: a box-drawn table and the parameter totals."""

import numpy as np


def readable_size(num_bytes):
    """``"1.17 KB"``, as Keras writes memory sizes.

    Example
    -------
    >>> readable_size(200)
    '200.00 B'
    """
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if num_bytes < 1024:
            return f"{num_bytes:.2f} {unit}"
        num_bytes /= 1024
    return f"{num_bytes:.2f} PB"


def _rows(model, expand_nested, show_trainable, depth=0):
    rows = []
    for layer in model.layers:
        shape = "?" if layer.output_shape is None else str(tuple(layer.output_shape))
        params = layer.count_params() if layer.built else "0 (unbuilt)"
        row = [f"{'  ' * depth}{layer.name} ({type(layer).__name__})", shape, f"{params:,}"
               if isinstance(params, int) else params]
        if show_trainable:
            row.append("Y" if layer.trainable else "N")
        rows.append(row)
        if expand_nested and hasattr(layer, "layers") and layer.layers:
            rows.extend(_rows(layer, expand_nested, show_trainable, depth + 1))
    return rows


def _count(weights):
    return int(sum(w.size for w in weights)), int(sum(w.nbytes for w in weights))


def print_summary(model, line_length=None, positions=None, print_fn=None, expand_nested=False,
                  show_trainable=False, layer_range=None):
    """Print (or pass to ``print_fn``) the summary of ``model``; see ``Model.summary``."""
    line_length = line_length or 88
    headers = ["Layer (type)", "Output Shape", "Param #"] + (["Trainable"] if show_trainable else [])
    positions = positions or ([0.45, 0.84, 1.0] if not show_trainable else [0.4, 0.72, 0.9, 1.0])
    inner = line_length - len(headers) - 1  # the width left once the borders are drawn
    edges = [round(inner * p) if p <= 1 else int(p) for p in positions]
    widths = [edge - start for start, edge in zip([0] + edges[:-1], edges)]
    widths = [max(w, len(h) + 2) for w, h in zip(widths, headers)]
    rows = _rows(model, expand_nested, show_trainable)
    if layer_range is not None:
        names = [layer.name for layer in model.layers]
        first, last = (names.index(name) for name in layer_range)
        rows = rows[first:last + 1]

    def line(cells, right_aligned=(2,)):
        out = []
        for i, (cell, width) in enumerate(zip(cells, widths)):
            text = str(cell)[: width - 2]
            out.append(f" {text:>{width - 2}} " if i in right_aligned else f" {text:<{width - 2}} ")
        return out

    def rule(left, middle, right, fill):
        return left + middle.join(fill * w for w in widths) + right

    text = [f'Model: "{model.name}"',
            rule("┏", "┳", "┓", "━"),
            "┃" + "┃".join(line(headers)) + "┃",
            rule("┡", "╇", "┩", "━")]
    for i, row in enumerate(rows):
        text.append("│" + "│".join(line(row)) + "│")
        if i < len(rows) - 1:
            text.append(rule("├", "┼", "┤", "─"))
    text.append(rule("└", "┴", "┘", "─"))
    total, total_bytes = _count(model.weights)
    trainable, trainable_bytes = _count(model.trainable_weights)
    text += [f" Total params: {total:,} ({readable_size(total_bytes)})",
             f" Trainable params: {trainable:,} ({readable_size(trainable_bytes)})",
             f" Non-trainable params: {total - trainable:,} "
             f"({readable_size(total_bytes - trainable_bytes)})"]
    optimizer = getattr(model, "optimizer", None)
    if optimizer is not None and optimizer.built:
        slots = [np.asarray(v) for v in optimizer.variables]
        count, size = _count(slots)
        text.append(f" Optimizer params: {count:,} ({readable_size(size)})")
    (print_fn or print)("\n".join(text))
