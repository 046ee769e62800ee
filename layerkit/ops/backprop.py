"""The reverse pass, as MiniFlow and micrograd do it, in one sitting.

1. The tape lists its operations in the order they ran. That is a topological
   order (an operation runs after the ones that made its inputs), so reversed it
   puts every node after all the nodes that consume its output;
2. :func:`backpropagate` walks that order once, calling each node's ``backward`` (its
   vector-Jacobian product) with the gradient of its output, and adds what it returns
   to the gradients of its inputs: a value used several times (fan-out) receives the
   **sum** of its consumers' gradients. Only the inputs that lead to a requested
   source get a gradient computed.
"""

import numpy as np

from layerkit.ops.tensor import Tensor


def backpropagate(order, seeds, sources):
    """Run each node's VJP in ``order``, summing the gradients that meet at a node (fan-out).

    Parameters
    ----------
    order : list of Operation
        Each operation after every operation that consumes its output (a tape's
        operations, reversed); the watched values, which no operation made, are not in it.
    seeds : dict
        ``{id(node): (node, dL/d(output))}`` where the pass starts.
    sources : list of Operation
        The nodes whose gradients are wanted.

    Returns
    -------
    dict
        ``{id(source): dL/d(source)}`` for the sources the targets depend on.
    """
    wanted = {id(node) for node in sources}
    # An operation with effects of its own (a layer filling its weights' gradients) counts
    # as a source: the gradient must reach it even when no requested source lies beyond.
    leads_to_source = set(wanted)
    for node in reversed(order):  # inputs first: a node matters if one of its inputs does
        if node.always_backward or not leads_to_source.isdisjoint(map(id, node.parents)):
            leads_to_source.add(id(node))
    grads = {key: grad for key, (_, grad) in seeds.items()}
    found = {}
    for node in order:
        grad = grads.pop(id(node), None)
        if grad is None:
            continue
        if id(node) in wanted:
            found[id(node)] = grad
        # which inputs lead to a source (a constant input's parent is None: never one)
        needs = tuple(map(leads_to_source.__contains__, map(id, node.parents)))
        if not any(needs) and not node.always_backward:
            continue
        node.needs_gradient = needs
        input_grads = node.backward(grad)
        if not isinstance(input_grads, (tuple, list)) or len(input_grads) != len(needs):
            raise TypeError(f"{type(node).__name__}.backward must return a tuple of {len(needs)} "
                            f"gradients (None for an input that needs none).")
        for parent, need, input_grad, value in zip(node.parents, needs, input_grads, node.inputs):
            if need and input_grad is not None:
                input_grad = _checked(input_grad, value, node)
                previous = grads.get(id(parent))
                grads[id(parent)] = input_grad if previous is None else previous + input_grad
    found.update((key, grads[key]) for key in wanted if key in grads)  # watched values: not in order
    return found


def _checked(grad, value, node):
    """``grad`` as an ndarray of ``value``'s shape and dtype; a clear error for a wrong shape."""
    if type(grad) is not np.ndarray:
        if isinstance(grad, Tensor):
            raise TypeError(f"{type(node).__name__}.backward returned a Tensor; it must compute "
                            "with plain ndarrays.")
        grad = np.asarray(grad)
    if grad.shape != value.shape:
        raise ValueError(f"{type(node).__name__}.backward returned a gradient of shape {grad.shape} "
                         f"for an input of shape {value.shape}.")
    return grad if grad.dtype == value.dtype else grad.astype(value.dtype)


def fresh_results(sources, found, seeds, unconnected_gradients):
    """One gradient per source, never two sharing memory (nor sharing it with a seed), writable."""
    results, owned = [], {id(_root(grad)) for _, grad in seeds.values()}
    for source in sources:
        grad = found.get(id(source.node))  # only nodes of this tape are in `found`
        if grad is None:
            results.append(np.zeros_like(source.value) if unconnected_gradients == "zero" else None)
            continue
        root = id(_root(grad))
        if root in owned or not grad.flags.writeable:
            grad = grad.copy()
            root = id(grad)
        owned.add(root)
        results.append(grad)
    return results


def _root(array):
    """The array that owns ``array``'s memory."""
    while isinstance(array.base, np.ndarray):
        array = array.base
    return array
