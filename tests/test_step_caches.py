"""What a training step skips when nothing changed, and that it never skips what did.

A step clears the added losses (``add_loss``) and commits the staged updates
(BatchNormalization's moving statistics) only when some layer added or staged one
since the last time: these tests add and stage on some steps only, through layers
shared between models, and check every step's loss and statistics against the
values computed by hand.
"""

import numpy as np

from layerkit import Sequential, layers, ops
from layerkit.layers import BatchNormalization, Dense, Input


class SometimesAddsALoss(layers.Layer):
    """Adds ``penalty`` to the loss on the calls where ``self.adding`` is set."""

    def __init__(self, penalty, **kwargs):
        super().__init__(**kwargs)
        self.penalty, self.adding = penalty, False

    def call(self, inputs):
        if self.adding:
            self.add_loss(ops.convert_to_tensor(self.penalty))
        return inputs


def _model(extra, units=1):
    model = Sequential([Input((2,)), extra, Dense(units, kernel_initializer="ones")])
    model.compile(optimizer="sgd", loss="mse")
    return model


def test_a_loss_added_on_some_steps_counts_on_those_steps_only(float64):
    adder = SometimesAddsALoss(0.75)
    model = _model(adder)
    x, y = np.array([[1.0, 2.0], [0.5, -1.0]]), np.array([[1.0], [0.0]])
    for step, adding in enumerate([False, True, True, False, False, True, False]):
        adder.adding = False
        plain = model.compute_loss(x, y)            # the compiled loss alone, at these weights
        adder.adding = adding
        loss = model.train_on_batch(x, y)
        assert loss == plain + (0.75 if adding else 0.0), step
        assert model.losses == ([0.75] if adding else []), step


def test_a_loss_added_through_another_model_is_not_left_behind(float64):
    adder = SometimesAddsALoss(2.0)
    first, second = _model(adder), _model(adder)
    x, y = np.ones((3, 2)), np.zeros((3, 1))
    first.train_on_batch(x, y)                      # nothing added: the walk is clean
    adder.adding = True
    second.train_on_batch(x, y)                     # the shared layer adds through `second`
    adder.adding = False
    expected = first.compute_loss(x, y)
    assert first.train_on_batch(x, y) == expected   # not 2.0 more from `second`'s step
    assert first.losses == []
    plain = first.compute_loss(x, y)
    adder.adding = True
    assert first.train_on_batch(x, y) == plain + 2.0


def _moving_mean_after(batches, momentum=0.5):
    mean = np.zeros(2)
    for x in batches:
        mean = momentum * mean + (1 - momentum) * x.mean(axis=0)
    return mean


def test_staged_updates_are_committed_at_every_step_of_every_model_sharing_the_layer(float64):
    bn = BatchNormalization(momentum=0.5)
    first, second = _model(bn), _model(bn)
    rng = np.random.default_rng(3)
    seen = []
    for step in range(6):
        x = rng.normal(size=(4, 2)) + step
        (first if step % 3 else second).train_on_batch(x, np.zeros((4, 1)))
        seen.append(x)
        np.testing.assert_allclose(bn.moving_mean, _moving_mean_after(seen), rtol=1e-12)
        assert not bn.has_staged_updates


def test_a_forward_pass_outside_a_step_stages_nothing_that_a_later_step_commits(float64):
    bn = BatchNormalization(momentum=0.5)
    model = _model(bn)
    rng = np.random.default_rng(4)
    x = rng.normal(size=(4, 2))
    model.train_on_batch(x, np.zeros((4, 1)))
    model.compute_gradients(rng.normal(size=(4, 2)) * 10, np.zeros((4, 1)))  # staged, discarded
    expected = _moving_mean_after([x, x])
    model.train_on_batch(x, np.zeros((4, 1)))
    np.testing.assert_allclose(bn.moving_mean, expected, rtol=1e-12)


def test_calling_a_model_keeps_only_the_losses_of_that_call(float64):
    adder, alone = SometimesAddsALoss(0.5), SometimesAddsALoss(3.0)
    first, second = _model(adder), _model(adder)
    x = np.ones((2, 2))
    for call, adding, expected in [(first, False, []), (first, True, [0.5]), (first, False, []),
                                   (second, True, [0.5]), (first, False, []), (first, False, [])]:
        adder.adding = adding
        call(x)
        assert call.losses == expected, (call.name, adding)
    alone.adding = True
    alone(x)                                        # a loss added outside any model...
    first(x)                                        # (`first` clears its layers, not `alone`)
    first.add(alone)                                # ...then the layer joins one
    alone.adding = False
    first(x)
    assert first.losses == []                       # not 3.0 from the earlier call
    first(x)                                        # no change at all: nothing to clear
    assert first.losses == [] and alone.losses == []
