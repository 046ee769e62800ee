"""``layerkit.distribution`` in one process: the API, the sharding, the reduction's arithmetic,
the rank-0 rules, and the promise that layerkit without MPI never imports mpi4py.

The collectives of a second process are played by :class:`FakeWorld`, which is told in
advance what the other process contributes; ``tests/test_distribution_mpi.py`` runs
real processes under ``mpiexec``.
"""

import os
import subprocess
import sys
from pathlib import Path

import h5py
import numpy as np
import pytest

import layerkit
from layerkit import callbacks, distribution, layers, losses, saving
from layerkit.distribution import checks, data_parallel, devices, sharding, world
from layerkit.distribution.distribution_lib import Distribution
from layerkit.models.epoch_iterator import EpochIterator
from layerkit.optimizers import SGD

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(autouse=True)
def _no_distribution():
    distribution.set_distribution(None)
    yield
    distribution.set_distribution(None)


class FakeWorld:
    """Process ``rank`` of ``size``; what the other process adds to each collective is given first."""

    def __init__(self, rank=0, size=2, peers=()):
        self.rank, self.size, self.peers, self.calls = rank, size, list(peers), []
        self.aborted = None

    def _join(self, mine):
        other = self.peers.pop(0)
        return [mine, other] if self.rank == 0 else [other, mine]

    def allreduce_sum(self, buffer):
        self.calls.append("allreduce")
        buffer += self.peers.pop(0)
        return buffer

    def allgather(self, value):
        self.calls.append("allgather")
        return [value] * self.size

    def broadcast(self, value):
        return value

    def broadcast_arrays(self, arrays):
        return [np.array(a, copy=True) for a in arrays]

    def allgather_rows(self, block, counts):
        self.calls.append("allgather_rows")
        return np.concatenate(self._join(block))

    def abort(self, message):
        self.aborted = message


def fake_data_parallel(monkeypatch, fake, **kwargs):
    monkeypatch.setattr(data_parallel, "find_world", lambda: fake)
    monkeypatch.setattr(devices, "find_world", lambda: fake)
    return distribution.DataParallel(**kwargs)


class Rank(Distribution):
    """Process ``rank`` of ``count``, training alone (its hooks are one process's): for the
    rank-0 rules and the batches' shares."""

    def __init__(self, rank, count, **kwargs):
        super().__init__(**kwargs)
        self._rank, self._count = rank, count

    @property
    def num_processes(self):
        return self._count

    @property
    def process_id(self):
        return self._rank


def small_model(units=4, loss="sparse_categorical_crossentropy"):
    model = layerkit.Sequential([layers.Input((3,)), layers.Dense(units, activation="tanh"),
                                 layers.Dense(3, activation="softmax")])
    model.compile(optimizer=SGD(0.1, momentum=0.9), loss=loss, metrics=["accuracy"])
    return model


def small_data(rows=37):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(rows, 3)).astype("float32")
    return x, (x[:, 0] > 0).astype("float32") + (x[:, 1] > 1)


# ---------------------------------------------------------------- without MPI
def test_importing_and_training_never_import_mpi4py():
    program = ("import sys, numpy as np, layerkit\n"
               "from layerkit import layers, distribution\n"
               "model = layerkit.Sequential([layers.Input((2,)), layers.Dense(1)])\n"
               "model.compile(loss='mse')\n"
               "model.fit(np.ones((8, 2)), np.ones(8), verbose=0)\n"
               "distribution.set_distribution(distribution.DataParallel())\n"
               "model.fit(np.ones((8, 2)), np.ones(8), verbose=0)\n"
               "model.predict(np.ones((3, 2)), verbose=0)\n"
               "assert distribution.list_devices() == ['cpu:0']\n"
               "print('mpi4py' in sys.modules)\n")
    env = {k: v for k, v in os.environ.items() if k not in world.LAUNCHER_VARIABLES}
    done = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True,
                          env=dict(env, PYTHONPATH=str(REPO)), cwd=REPO, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "False"


def test_under_a_launcher_without_mpi4py_the_error_says_what_to_install(monkeypatch):
    world.find_world.cache_clear()
    monkeypatch.setenv("OMPI_COMM_WORLD_SIZE", "2")
    monkeypatch.setitem(sys.modules, "mpi4py", None)  # as if not installed
    try:
        with pytest.raises(ImportError, match=r"pip install 'layerkit\[mpi\]'"):
            distribution.DataParallel()
    finally:
        world.find_world.cache_clear()


def test_the_launcher_is_recognised_by_its_variables():
    assert not world.launched_by_mpi({"HOME": "/root"})
    for name in world.LAUNCHER_VARIABLES:
        assert world.launched_by_mpi({name: "1"})


def test_a_world_of_one_returns_what_it_is_given():
    alone = world.World()
    buffer = np.arange(3.0)
    assert alone.allreduce_sum(buffer) is buffer and buffer.tolist() == [0.0, 1.0, 2.0]
    assert alone.broadcast({"a": 1}) == {"a": 1} and alone.allgather(5) == [5]
    block = np.ones((2, 3))
    assert np.array_equal(alone.allgather_rows(block, [2]), block)
    copies = alone.broadcast_arrays([np.zeros(2, "float32"), np.asarray(3)])
    assert [a.dtype for a in copies] == [np.float32, np.asarray(3).dtype]


def test_one_process_trains_exactly_as_without_a_distribution():
    x, y = small_data()
    results = []
    for strategy in (None, distribution.DataParallel()):
        distribution.set_distribution(strategy)
        layerkit.utils.set_random_seed(3)
        model = small_model()
        history = model.fit(x, y, batch_size=8, epochs=2, verbose=0, validation_split=0.2)
        results.append((model.get_weights(), history.history, model.predict(x, verbose=0),
                        model.evaluate(x, y, verbose=0)))
    (w0, h0, p0, e0), (w1, h1, p1, e1) = results
    assert all(np.array_equal(a, b) for a, b in zip(w0, w1))
    assert h0 == h1 and np.array_equal(p0, p1) and e0 == e1


# ---------------------------------------------------------------- the API
def test_the_global_distribution_is_set_scoped_and_checked():
    assert distribution.distribution() is None
    assert distribution.active().num_processes == 1 and distribution.is_chief()
    strategy = distribution.DataParallel()
    with strategy.scope():
        assert distribution.distribution() is strategy and distribution.active() is strategy
    assert distribution.distribution() is None
    with pytest.raises(TypeError, match="Received: 'data parallel' of type str"):
        distribution.set_distribution("data parallel")


def test_data_parallel_refuses_what_it_cannot_do():
    with pytest.raises(ValueError, match="layerkit has no `DeviceMesh`.*Received: device_mesh="):
        distribution.DataParallel(device_mesh=object())
    with pytest.raises(ValueError, match=r"must list all of them \(\['cpu:0'\]\).*Received: devices="):
        distribution.DataParallel(devices=["cpu:0", "cpu:1"])
    with pytest.raises(ValueError, match="Received: auto_shard_dataset='yes'"):
        distribution.DataParallel(auto_shard_dataset="yes")
    with pytest.raises(ValueError, match="Received: device_type='gpu'"):
        distribution.list_devices("gpu")
    with pytest.raises(ValueError, match="Received: device_type='tpu'"):
        distribution.get_device_count("tpu")
    with pytest.raises(ValueError, match="hostfile.*Received: job_addresses="):
        distribution.initialize(job_addresses="10.0.0.1:1234")
    with pytest.raises(ValueError, match="Received: num_processes=2"):
        distribution.initialize(num_processes=2)
    with pytest.raises(ValueError, match="Received: process_id=1"):
        distribution.initialize(process_id=1)


def test_data_parallel_config_round_trips():
    strategy = distribution.DataParallel(devices=["cpu:0"], auto_shard_dataset=False)
    config = strategy.get_config()
    assert config == {"devices": ["cpu:0"], "auto_shard_dataset": False}
    again = distribution.DataParallel.from_config(config)
    assert again.get_config() == config and again.num_model_replicas == 1
    assert again.batch_dim_name == "batch" and again.data_shard_id == 0 and again.device_mesh is None
    assert again.distribute_dataset("data") == "data"
    base = Distribution(auto_shard_dataset=False)
    assert Distribution.from_config(base.get_config()).get_config() == {
        "batch_dim_name": "batch", "auto_shard_dataset": False}


# ---------------------------------------------------------------- sharding
@pytest.mark.parametrize("count", [1, 2, 3, 7])
def test_shares_are_contiguous_in_rank_order_and_as_equal_as_possible(count):
    for start in (0, 5):
        for rows in range(0, 30):
            shares = [sharding.share(start, start + rows, r, count) for r in range(count)]
            assert shares[0][0] == start and shares[-1][1] == start + rows
            assert all(a[1] == b[0] for a, b in zip(shares, shares[1:]))
            sizes = [stop - first for first, stop in shares]
            assert max(sizes) - min(sizes) <= 1 and sizes == sorted(sizes, reverse=True)


def test_rows_packed_side_by_side_come_back_unchanged():
    rng = np.random.default_rng(1)
    for rows in (0, 1, 5):
        arrays = [rng.normal(size=(rows, 3)).astype("float32"), None, rng.normal(size=rows),
                  rng.integers(-2**40, 2**40, size=(rows, 2, 2)), (rng.random(rows) > 0.5)]
        block, layout = sharding.pack_rows(arrays)
        assert block.shape == (rows, 3 + 1 + 4 + 1) and block.dtype == np.float64
        back = sharding.unpack_rows(block, layout)
        assert back[1] is None
        for a, b in zip(arrays, back):
            if a is not None:
                assert b.dtype == a.dtype and b.shape == a.shape and np.array_equal(a, b)


# ---------------------------------------------------------------- the arithmetic of a step
def test_gradients_are_averaged_by_rows_in_one_all_reduce_of_one_buffer(monkeypatch):
    rng = np.random.default_rng(2)
    mine = [rng.normal(size=(3, 2)).astype("float32"), rng.normal(size=2).astype("float32")]
    theirs = [rng.normal(size=(3, 2)).astype("float32"), rng.normal(size=2).astype("float32")]
    peer = np.concatenate([7 * g.ravel() for g in theirs] + [[7]]).astype("float32")
    fake = FakeWorld(peers=[peer, peer])
    strategy = fake_data_parallel(monkeypatch, fake)
    reduced = strategy.reduce_gradients(mine, num_samples=9)
    for r, a, b in zip(reduced, mine, theirs):
        assert r.shape == a.shape and r.dtype == np.float32
        np.testing.assert_allclose(r, (9 * a + 7 * b) / 16, rtol=1e-6)
    again = strategy.reduce_gradients(mine, num_samples=9)
    assert fake.calls == ["allreduce", "allreduce"]  # one call per step, not one per weight
    assert reduced[0].base is again[1].base is not None  # one buffer, made once
    assert strategy.all_reduce_steps == 2 and strategy.all_reduce_seconds >= 0


def test_a_process_with_no_rows_adds_nothing_even_if_its_gradient_is_nan(monkeypatch):
    theirs = [np.full((2, 2), 0.5)]
    peer = np.concatenate([3 * theirs[0].ravel(), [3.0]])
    strategy = fake_data_parallel(monkeypatch, FakeWorld(rank=1, peers=[peer]))
    reduced = strategy.reduce_gradients([np.full((2, 2), np.nan)], num_samples=0)
    assert np.array_equal(reduced[0], theirs[0])


def test_the_metrics_see_the_global_batch_in_its_order(monkeypatch):
    y0, p0 = np.array([0.0, 1.0], "float32"), np.array([[0.2], [0.9]], "float32")
    y1, p1 = np.array([1.0], "float32"), np.array([[0.4]], "float32")
    peer_losses = np.array([[1, 1 * 0.5, 1 * 0.5]])
    peer_rows, _ = sharding.pack_rows([y0, p0, None])  # process 0's rows: this one is process 1
    strategy = fake_data_parallel(monkeypatch, FakeWorld(rank=1, peers=[peer_losses, peer_rows]))
    total, values, ys, preds, weights, count = strategy.global_batch(2.0, [2.0], [y1], [p1], None, 1)
    assert count == 2 and total == pytest.approx((0.5 + 2.0) / 2) and values == [total]
    assert ys[0].tolist() == [0.0, 1.0, 1.0] and preds[0].ravel().tolist() == pytest.approx([0.2, 0.9, 0.4])
    assert weights is None and ys[0].dtype == np.float32


def test_predictions_are_gathered_in_the_rows_order(monkeypatch):
    peer = sharding.pack_rows([np.array([[5.0, 6.0]], "float32")])[0]
    strategy = fake_data_parallel(monkeypatch, FakeWorld(rank=0, peers=[peer]))
    mine = [np.array([[1.0, 2.0], [3.0, 4.0]], "float32")]
    joined = strategy.gather_rows(mine)
    assert joined[0].tolist() == [[1, 2], [3, 4], [5, 6]] and joined[0].dtype == np.float32


def test_each_process_reads_only_its_share_of_each_batch_of_a_file(monkeypatch, tmp_path):
    x, _ = small_data(33)  # a last batch of one row: process 1's share of it is empty
    path = tmp_path / "x.h5"
    with h5py.File(path, "w") as handle:
        handle["x"] = x
    model = small_model()
    distribution.set_distribution(fake_data_parallel(monkeypatch, FakeWorld(rank=1)))
    with h5py.File(path, "r") as handle:
        batches = EpochIterator(model, handle["x"], batch_size=16, caller="predict")
        with batches.epoch() as steps:
            shares = [xs[0] for _, (xs,) in steps]
    assert [len(s) for s in shares] == [8, 8, 0]
    assert np.array_equal(np.concatenate(shares), np.concatenate([x[8:16], x[24:32]]))
    assert shares[2].shape == (0, 3) and shares[2].dtype == np.float32


def test_the_agreement_checks_name_each_difference():
    checks.check_agreement([{"a": 1, "b": 2}] * 3, "the model", "hint")  # all the same: silent
    with pytest.raises(ValueError) as raised:
        checks.check_agreement([{"a": 1, "b": 2}, {"a": 1, "b": 3}, {"a": 0, "b": 2}], "the model",
                               "Run the same script.")
    assert str(raised.value) == ("The processes differ in the model: process 1 has b=3 where process 0 "
                                 "has b=2; process 2 has a=0 where process 0 has a=1. Run the same "
                                 "script.")


def test_model_signatures_differ_in_weights_and_optimizer():
    first, second = small_model(), small_model(units=5)
    assert checks.model_signature(first) != checks.model_signature(second)
    third = small_model()
    third.compile(optimizer=SGD(0.1, momentum=0.5), loss="sparse_categorical_crossentropy")
    assert checks.model_signature(first)["optimizer"] != checks.model_signature(third)["optimizer"]
    assert checks.model_signature(first) == checks.model_signature(small_model())


@pytest.mark.parametrize("case", ["sum", "mean_with_sample_weight", "ignore_class", "batch_norm"])
def test_what_data_parallelism_cannot_train_exactly_is_refused(case):
    if case == "batch_norm":
        model = layerkit.Sequential([layers.Input((3,)), layers.BatchNormalization(), layers.Dense(2)])
        model.compile(loss="mse")
        match = "cannot train layer 'batch_normalization' .BatchNormalization.*trainable = False"
    elif case == "ignore_class":
        model = small_model(loss=losses.SparseCategoricalCrossentropy(ignore_class=2))
        match = "Received: ignore_class=2"
    else:
        model = small_model(loss=losses.SparseCategoricalCrossentropy(reduction=case))
        match = f"Received: reduction='{case}'"
    with pytest.raises(ValueError, match=match):
        checks.refuse_inexact_training(model, 2)


def test_what_it_can_train_passes():
    model = layerkit.Sequential([layers.Input((3,)), layers.BatchNormalization(), layers.Dense(2)])
    model.layers[0].trainable = False  # a frozen BatchNormalization uses its moving statistics
    model.compile(loss="mse")
    checks.refuse_inexact_training(model, 2)
    checks.refuse_inexact_training(small_model(), 2)


def test_an_uncaught_exception_ends_the_whole_job(monkeypatch, capsys):
    fake = FakeWorld()
    monkeypatch.setattr(sys, "excepthook", sys.__excepthook__)
    world.install_abort_hook(fake)
    try:
        raise RuntimeError("disk on fire")
    except RuntimeError as error:
        sys.excepthook(type(error), error, error.__traceback__)
    assert fake.aborted == "RuntimeError: disk on fire. Ending every process of the job."
    assert "disk on fire" in capsys.readouterr().err  # the traceback first


def test_transform_gradients_without_a_count_averages_the_processes_plainly():
    model = small_model()
    grads = [np.ones(2)]
    assert model.transform_gradients(grads)[0].tolist() == [1.0, 1.0]


# ---------------------------------------------------------------- only process 0 writes and prints
def test_other_processes_neither_write_nor_print(tmp_path, capsys):
    x, y = small_data()
    distribution.set_distribution(Rank(1, 2, auto_shard_dataset=False))
    assert not distribution.is_chief()
    model = small_model()
    model.fit(x, y, batch_size=8, epochs=2, verbose=1, validation_split=0.2, callbacks=[
        callbacks.ModelCheckpoint(str(tmp_path / "ckpt" / "m-{epoch}.keras"), verbose=1),
        callbacks.CSVLogger(str(tmp_path / "log.csv")),
        callbacks.BackupAndRestore(str(tmp_path / "backup"), delete_checkpoint=False),
        callbacks.EarlyStopping(monitor="loss", patience=0, min_delta=10, verbose=1),
        callbacks.ReduceLROnPlateau(monitor="loss", patience=0, min_delta=10, verbose=1),
        callbacks.LearningRateScheduler(lambda epoch, rate: rate, verbose=1)])
    model.evaluate(x, y, verbose=2)
    model.predict(x, verbose=1)
    model.save(str(tmp_path / "m.keras"))
    model.save(str(tmp_path / "m.h5"))
    model.save_weights(str(tmp_path / "m.weights.h5"))
    saving.save_weights(model, str(tmp_path / "n.weights.h5"))
    assert list(tmp_path.iterdir()) == []
    assert capsys.readouterr().out == ""
    logger = callbacks.TerminateOnNaN()
    logger.set_model(model)
    logger.on_batch_end(0, {"loss": float("nan")})
    assert capsys.readouterr().out == "" and model.stop_training


def test_process_0_writes_and_prints_the_same_run(tmp_path, capsys):
    x, y = small_data()
    distribution.set_distribution(distribution.DataParallel())
    model = small_model()
    model.fit(x, y, batch_size=8, epochs=2, verbose=2, callbacks=[
        callbacks.ModelCheckpoint(str(tmp_path / "ckpt" / "m-{epoch}.keras"), verbose=1),
        callbacks.CSVLogger(str(tmp_path / "log.csv")),
        callbacks.BackupAndRestore(str(tmp_path / "backup"), delete_checkpoint=False)])
    model.save_weights(str(tmp_path / "m.weights.h5"))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["backup", "ckpt", "log.csv", "m.weights.h5"]
    assert sorted(p.name for p in (tmp_path / "ckpt").iterdir()) == ["m-1.keras", "m-2.keras"]
    out = capsys.readouterr().out
    assert "Epoch 2/2 - " in out and "saving model to" in out


def test_a_process_whose_loss_is_not_finite_makes_every_process_refuse_the_step(monkeypatch):
    peer = np.array([2.0, 2.0, 1.0])  # the other process: one row, a finite gradient
    strategy = fake_data_parallel(monkeypatch, FakeWorld(peers=[peer]))
    reduced = strategy.reduce_gradients([np.ones(2)], num_samples=3, loss=float("inf"))
    assert np.isnan(reduced[0]).all()  # the other process's sum is NaN too: it refuses as well


@pytest.mark.parametrize("num_samples, batch_size", [(0, 4), (5, 2), (12, 4), (7, 10), (10, 3)])
def test_batch_slices_share_out_every_batch_once(num_samples, batch_size):
    batches = [np.arange(num_samples)[s] for s in Distribution().batch_slices(num_samples, batch_size)]
    assert len(batches) == -(-num_samples // batch_size)
    assert [len(b) for b in batches[:-1]] == [batch_size] * (len(batches) - 1)
    assert np.concatenate(batches or [np.arange(0)]).tolist() == list(range(num_samples))
    shares = [list(Rank(rank, 3).batch_slices(num_samples, batch_size)) for rank in range(3)]
    for index, batch in enumerate(batches):  # the three shares of a batch make the batch, in order
        rows = np.concatenate([np.arange(num_samples)[share[index]] for share in shares])
        assert rows.tolist() == batch.tolist()
    unsharded = Rank(1, 3, auto_shard_dataset=False).batch_slices(num_samples, batch_size)
    assert [np.arange(num_samples)[s].tolist() for s in unsharded] == [b.tolist() for b in batches]
