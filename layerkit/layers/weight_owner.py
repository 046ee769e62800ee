"""What a layer owns besides its computation: weights, their penalties and projections, and
updates of non-trainable weights that wait for the training step to commit them.

A weight is a plain NumPy array set as an attribute (``layer.kernel``): learners read it
and the optimizer updates it in place. Its regularizer (a penalty added to the loss, with
its gradient added to the weight's) and its constraint (a projection applied after each
update) are kept beside it. Keras's order of a layer's weights is kept: the weights
created trainable first, then the others, each in creation order.
"""

import numpy as np

from layerkit import backend, constraints, initializers, regularizers
from layerkit.layers.weights import assign_weights, charge

_structure_version = [0]
_stagings = [0]  # updates staged in this process so far (a count that only grows)


def structure_version():
    """A number that changes whenever a layer gains a weight or changes ``trainable``, or a
    model gains or loses a layer: engines keep what they derive from the layers until it does."""
    return _structure_version[0]


def structure_changed():
    """Note a change of the layers' structure (see :func:`structure_version`)."""
    _structure_version[0] += 1


def staging_count():
    """How many updates layers have staged so far (:meth:`WeightOwner.stage_update`): while it
    stays the same, no layer has staged anything new."""
    return _stagings[0]


def float_dtype(dtype, owner):
    """``dtype``'s name if it is float16, float32 or float64, else a ValueError naming ``owner``."""
    try:
        name = backend.standardize_dtype(dtype)
    except TypeError:
        name = repr(dtype)
    if name not in backend.FLOAT_DTYPES:
        raise ValueError(f"{owner} computes in floating point only: `dtype` must be one of "
                         f"{list(backend.FLOAT_DTYPES)}. Received: dtype={dtype!r}")
    return name


class WeightOwner:
    """Mixin of :class:`~layerkit.layers.Layer`: weights and what goes with them."""

    def _init_weights(self, trainable):
        self._trainable = bool(trainable)
        self._weight_names = []
        self._non_trainable_names = set()
        self._regularizers, self._constraints, self._staged = {}, {}, {}
        self.grads = {}

    def add_weight(self, shape=None, initializer=None, dtype=None, trainable=True, autocast=True,
                   regularizer=None, constraint=None, aggregation="none",
                   overwrite_with_gradient=False, name=None):
        """Create a weight, set it as ``self.<name>`` and return it.

        Parameters
        ----------
        shape : tuple
        initializer : str, Initializer or callable
            ``"glorot_uniform"`` by default.
        dtype : str, optional
            The layer's dtype by default (floating point only).
        trainable : bool
        autocast : bool
            Accepted for Keras compatibility (layerkit computes in the weight's dtype).
        regularizer : str or Regularizer, optional
            A penalty on the weight, added to the loss (and its gradient to the weight's).
        constraint : str or Constraint, optional
            A projection applied to the weight after each optimizer update.
        aggregation, overwrite_with_gradient
            Keras's distribution settings; only the defaults are supported.
        name : str
            The attribute name, and the key of its gradient in ``self.grads``.

        Returns
        -------
        ndarray

        Raises
        ------
        NotImplementedError
            For a non-default distribution setting.
        """
        if aggregation not in ("none", None) or overwrite_with_gradient:
            raise NotImplementedError(f"Layer {self.name!r}: add_weight() supports only Keras's "
                                      "default `aggregation` and `overwrite_with_gradient`.")
        if name is None:
            name = f"weight_{len(self._weight_names)}"
        dtype = float_dtype(dtype or self.dtype, f"Weight {self.name}/{name}")
        initializer = initializers.get(initializer or "glorot_uniform")
        regularizer, constraint = regularizers.get(regularizer), constraints.get(constraint)
        shape = () if shape is None else tuple(int(d) for d in shape)
        charge(self.name, name, shape, dtype)
        value = backend.convert_to_array(initializer(shape, dtype), dtype)
        if value.shape != shape:
            raise ValueError(f"Initializer of {self.name}/{name} returned shape {value.shape}; "
                             f"expected {shape}.")
        setattr(self, name, value)
        self._weight_names.append(name)
        if not trainable:
            self._non_trainable_names.add(name)
        if regularizer is not None:
            self._regularizers[name] = regularizer
        if constraint is not None:
            self._constraints[name] = constraint
        structure_changed()
        return value

    # -------------------------------------------------------------- which weights
    @property
    def trainable(self):
        """Whether the optimizer updates this layer's weights (setting it sets inner layers too)."""
        return self._trainable

    @trainable.setter
    def trainable(self, value):
        self._trainable = bool(value)
        structure_changed()
        for inner in self.sublayers():
            inner.trainable = value

    @property
    def weight_names(self):
        """The names of this layer's own weights: those created trainable, then the others."""
        return ([n for n in self._weight_names if n not in self._non_trainable_names]
                + [n for n in self._weight_names if n in self._non_trainable_names])

    @property
    def trainable_weight_names(self):
        """The names of this layer's own weights the optimizer updates (none when frozen)."""
        if not self._trainable:
            return []
        return [n for n in self._weight_names if n not in self._non_trainable_names]

    def weight_slots(self):
        """``[(layer, weight name)]`` of this layer's weights and its inner layers', in order."""
        return [(layer, name) for layer in self.flatten_layers() for name in layer.weight_names]

    def trainable_slots(self):
        """``[(layer, weight name)]`` of the weights the optimizer updates, in order."""
        return [(layer, name) for layer in self.flatten_layers()
                for name in layer.trainable_weight_names]

    @property
    def weights(self):
        """All weight arrays, in order (the live arrays, not copies)."""
        return [getattr(layer, name) for layer, name in self.weight_slots()]

    @property
    def trainable_weights(self):
        """The weights the optimizer updates."""
        return [getattr(layer, name) for layer, name in self.trainable_slots()]

    @property
    def non_trainable_weights(self):
        """The weights the optimizer leaves alone."""
        trainable = {id(w) for w in self.trainable_weights}
        return [w for w in self.weights if id(w) not in trainable]

    def get_weights(self):
        """Copies of the weights, as a list of arrays."""
        return [np.array(w, copy=True) for w in self.weights]

    def set_weights(self, weights):
        """Overwrite the weights (in place) with ``weights``, after checking them all.

        Raises
        ------
        ValueError
            If the count or any shape differs, or a value does not fit the weight's
            dtype; nothing is changed then.
        """
        weights = list(weights)
        slots = self.weight_slots()
        if len(weights) != len(slots):
            raise ValueError(
                f"{type(self).__name__} {self.name!r} expected {len(slots)} weight arrays, but "
                f"received {len(weights)}. Expected shapes "
                f"{[getattr(layer, name).shape for layer, name in slots]}.")
        assign_weights(slots, weights)

    def count_params(self):
        """The number of scalars in all weights."""
        return int(sum(w.size for w in self.weights))

    # -------------------------------------------------------------- penalties and projections
    def regularizer_of(self, name):
        """The regularizer of this layer's weight ``name``, or None."""
        return self._regularizers.get(name)

    def constraint_of(self, name):
        """The constraint of this layer's weight ``name``, or None."""
        return self._constraints.get(name)

    @property
    def losses(self):
        """The penalties of the trainable weights' regularizers, as floats (Keras's ``layer.losses``)."""
        return [float(layer.regularizer_of(name)(getattr(layer, name)))
                for layer, name in self.trainable_slots() if layer.regularizer_of(name) is not None]

    # -------------------------------------------------------------- staged updates
    def stage_update(self, name, value):
        """Keep ``value`` as the next value of the non-trainable weight ``name``.

        A training step writes it together with the optimizer's update, whole or not at
        all (BatchNormalization's moving statistics); a layer called on its own writes it
        at once.
        """
        self._staged[name] = value
        _stagings[0] += 1

    def commit_staged_updates(self):
        """Write the staged values into their weights (in place)."""
        for name, value in self._staged.items():
            np.copyto(getattr(self, name), value, casting="same_kind")
        self._staged.clear()

    def discard_staged_updates(self):
        """Forget the staged values (a step that was not applied)."""
        self._staged.clear()

    @property
    def has_staged_updates(self):
        """Whether a forward pass left values to commit."""
        return bool(self._staged)
