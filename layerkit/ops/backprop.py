"""The reverse pass, as MiniFlow and micrograd do it, in one sitting.

1. :func:`reverse_topological_order` collects the nodes the targets depend on and
   orders them with Kahn's algorithm (as ``layerkit/models/graph.py`` orders layers),
   here on the reversed graph: a node comes after every node that consumes its output;
2. :func:`backpropagate` walks that order once, calling each node's ``backward`` (its
   vector-Jacobian product) with the gradient of its output, and adds what it returns
   to the gradients of its inputs: a value used several times (fan-out) receives the
   **sum** of its consumers' gradients. Only the inputs that lead to a requested
   source get a gradient computed.
"""

import numpy as np

from layerkit.ops.tensor import Tensor


def reverse_topological_order(outputs):
    """Kahn's algorithm on the reversed graph: each node after every node that consumes it.

    Parameters
    ----------
    outputs : list of Operation
        The nodes the reverse pass starts from; the order holds every node they depend on.

    Returns
    -------
    list of Operation
    """
    consumers, seen, stack = {}, set(), list(outputs)
    while stack:  # collect the graph, counting each node's consumers in it
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        for parent in node.parents:
            if parent is not None:
                consumers[id(parent)] = consumers.get(id(parent), 0) + 1
                stack.append(parent)
    ready = [node for node in outputs if id(node) not in consumers]
    order = []
    while ready:  # a node is ready once all of its consumers are placed
        node = ready.pop()
        order.append(node)
        for parent in node.parents:
            if parent is not None:
                consumers[id(parent)] -= 1
                if consumers[id(parent)] == 0:
                    ready.append(parent)
    return order


def backpropagate(order, seeds, sources):
    """Run each node's VJP in ``order``, summing the gradients that meet at a node (fan-out).

    Parameters
    ----------
    order : list of Operation
        From :func:`reverse_topological_order`.
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
    leads_to_source = wanted | {id(node) for node in order if node.always_backward}
    for node in reversed(order):  # inputs first: a node matters if one of its inputs does
        if any(parent is not None and id(parent) in leads_to_source for parent in node.parents):
            leads_to_source.add(id(node))
    grads = {key: grad for key, (_, grad) in seeds.items()}
    found = {}
    for node in order:
        grad = grads.pop(id(node), None)
        if grad is None:
            continue
        if id(node) in wanted:
            found[id(node)] = grad
        needs = tuple(parent is not None and id(parent) in leads_to_source for parent in node.parents)
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
        if id(_root(grad)) in owned or not grad.flags.writeable:
            grad = grad.copy()
        owned.add(id(_root(grad)))
        results.append(grad)
    return results


def _root(array):
    """The array that owns ``array``'s memory."""
    while isinstance(array.base, np.ndarray):
        array = array.base
    return array
