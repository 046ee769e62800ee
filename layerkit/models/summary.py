"""Keras-style model summaries: a box-drawn table and the parameter totals."""



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


def _connections(model, layer):
    """``"dense[0][0]"`` for each tensor feeding ``layer`` in a graph model, one per line."""
    refs = [f"{t.node.layer.name}[{t.node.node_index}][0]"
            for node in getattr(model, "nodes", []) if node.layer is layer
            for t in node.inbound]
    return "\n".join(refs) or "-"


def _rows(model, expand_nested, show_trainable, connected, depth=0):
    rows = []
    for layer in model.layers:
        shape = "?" if layer.output_shape is None else str(tuple(layer.output_shape))
        params = f"{layer.count_params():,}" if layer.built else "0 (unbuilt)"
        row = [f"{'  ' * depth}{layer.name} ({type(layer).__name__})", shape, params]
        if connected:
            row.append(_connections(model, layer))
        if show_trainable:
            row.append("Y" if layer.trainable else "N")
        rows.append(row)
        if expand_nested and layer.sublayers():
            rows.extend(_rows(layer, expand_nested, show_trainable, connected, depth + 1))
    return rows


def _count(weights):
    return int(sum(w.size for w in weights)), int(sum(w.nbytes for w in weights))


def print_summary(model, line_length=None, positions=None, print_fn=None, expand_nested=False,
                  show_trainable=False, layer_range=None):
    """Print (or pass to ``print_fn``) the summary of ``model``; see ``Model.summary``."""
    connected = hasattr(model, "nodes")
    line_length = line_length or (108 if connected else 88)
    headers = ["Layer (type)", "Output Shape", "Param #"] + (["Connected to"] if connected else [])
    headers += ["Trainable"] if show_trainable else []
    default = {(False, False): [0.45, 0.84, 1.0], (False, True): [0.4, 0.72, 0.9, 1.0],
               (True, False): [0.3, 0.6, 0.7, 1.0], (True, True): [0.28, 0.52, 0.62, 0.9, 1.0]}
    positions = positions or default[(connected, show_trainable)]
    inner = line_length - len(headers) - 1  # the width left once the borders are drawn
    edges = [round(inner * p) if p <= 1 else int(p) for p in positions]
    widths = [edge - start for start, edge in zip([0] + edges[:-1], edges)]
    widths = [max(w, len(h) + 2) for w, h in zip(widths, headers)]
    rows = _rows(model, expand_nested, show_trainable, connected)
    if layer_range is not None:
        names = [layer.name for layer in model.layers]
        first, last = (names.index(name) for name in layer_range)
        rows = rows[first:last + 1]

    def lines(cells, right_aligned=(2,)):
        parts = [str(cell).split("\n") for cell in cells]
        out = []
        for k in range(max(len(p) for p in parts)):
            texts = []
            for i, (part, width) in enumerate(zip(parts, widths)):
                text = (part[k] if k < len(part) else "")[: width - 2]
                texts.append(f" {text:>{width - 2}} " if i in right_aligned
                             else f" {text:<{width - 2}} ")
            out.append(texts)
        return out

    def rule(left, middle, right, fill):
        return left + middle.join(fill * w for w in widths) + right

    text = [f'Model: "{model.name}"', rule("┏", "┳", "┓", "━")]
    text += ["┃" + "┃".join(cells) + "┃" for cells in lines(headers)]
    text.append(rule("┡", "╇", "┩", "━"))
    for i, row in enumerate(rows):
        text += ["│" + "│".join(cells) + "│" for cells in lines(row)]
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
        slots = optimizer.variables_for(model.trainable_weights)
        count, size = _count(slots)
        text.append(f" Optimizer params: {count:,} ({readable_size(size)})")
    (print_fn or print)("\n".join(text))
