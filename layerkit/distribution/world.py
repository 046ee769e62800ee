"""The MPI world of this process: its rank and size, found once; mpi4py imported only under mpiexec.

A process started by ``mpiexec`` (or ``srun``, ``mpirun``) finds the launcher's
variables in its environment (``OMPI_COMM_WORLD_SIZE``, ``PMI_SIZE``, ``PMIX_RANK``...):
it then imports mpi4py and joins ``MPI.COMM_WORLD``. A process started any other way
is a world of one, and never imports mpi4py: every collective then returns its input.

In a world of several processes an exception that nothing catches ends the whole
job (:func:`install_abort_hook`): the failing process prints its traceback, then
calls ``MPI_Abort``, which mpiexec turns into the end of every process. Without it
the others would wait forever in their next collective.

Each collective here is called by every process of the world at the same point of
the program, with arrays of the same shapes (layerkit checks that at the start of
``fit``).
"""

import functools
import os
import sys

import numpy as np

LAUNCHER_VARIABLES = ("OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "PMIX_RANK", "MV2_COMM_WORLD_SIZE",
                      "MPI_LOCALNRANKS", "I_MPI_HYDRA_HOST_FILE")


def launched_by_mpi(environ=None):
    """Whether an MPI launcher started this process (one of its variables is set).

    Example
    -------
    >>> launched_by_mpi({}), launched_by_mpi({"OMPI_COMM_WORLD_SIZE": "2"})
    (False, True)
    """
    environ = os.environ if environ is None else environ
    return any(name in environ for name in LAUNCHER_VARIABLES)


class World:
    """The processes of one job: this one is ``rank`` of ``size``; the collectives layerkit uses.

    Parameters
    ----------
    comm : mpi4py.MPI.Comm, optional
        None for a world of one process (no MPI).

    Example
    -------
    >>> world = World()
    >>> world.rank, world.size, world.allgather("a")
    (0, 1, ['a'])
    """

    def __init__(self, comm=None):
        self.comm = comm
        self.rank = 0 if comm is None else comm.Get_rank()
        self.size = 1 if comm is None else comm.Get_size()

    def _mpi(self):
        from mpi4py import MPI  # only reached with a communicator, which mpi4py made
        return MPI

    def allreduce_sum(self, buffer):
        """Replace ``buffer`` (a contiguous 1-d array) by its sum over the processes, in place."""
        if self.size > 1:
            MPI = self._mpi()
            self.comm.Allreduce(MPI.IN_PLACE, buffer, op=MPI.SUM)
        return buffer

    def allgather(self, value):
        """Every process's ``value`` (any picklable object), in rank order."""
        return [value] if self.size == 1 else self.comm.allgather(value)

    def broadcast(self, value):
        """Process 0's ``value`` (any picklable object), on every process."""
        return value if self.size == 1 else self.comm.bcast(value, root=0)

    def broadcast_arrays(self, arrays):
        """Process 0's arrays on every process (new arrays there; process 0's own arrays on it)."""
        received = [np.ascontiguousarray(a) if self.rank == 0 else np.empty_like(a) for a in arrays]
        if self.size > 1:
            for array in received:
                self.comm.Bcast(array, root=0)
        return received

    def allgather_rows(self, block, counts):
        """The rows of every process's 2-d float64 ``block`` (``counts[r]`` rows from rank r), joined."""
        width = block.shape[1]
        joined = np.empty((int(sum(counts)), width), dtype=np.float64)
        if self.size == 1:
            joined[...] = block
            return joined
        sizes = [int(count) * width for count in counts]
        offsets = np.concatenate([[0], np.cumsum(sizes)[:-1]]).astype(int).tolist()
        self.comm.Allgatherv(np.ascontiguousarray(block, dtype=np.float64),
                             [joined, sizes, offsets, self._mpi().DOUBLE])
        return joined

    def abort(self, message):
        """Print ``message`` on standard error and end every process of the job (``MPI_Abort``)."""
        sys.stderr.write(f"layerkit.distribution: process {self.rank} of {self.size}: {message}\n")
        sys.stderr.flush()
        if self.size > 1:
            self.comm.Abort(1)


def install_abort_hook(world):
    """Make an uncaught exception end the whole job, with its traceback, instead of one process.

    The previous ``sys.excepthook`` prints the traceback first.
    """
    previous = sys.excepthook

    def abort_all(kind, error, trace):
        previous(kind, error, trace)
        world.abort(f"{kind.__name__}: {error}. Ending every process of the job.")

    sys.excepthook = abort_all


def _mpi_comm():
    try:
        from mpi4py import MPI
    except ImportError as error:
        raise ImportError("This process was started by an MPI launcher (mpiexec), but mpi4py cannot "
                          "be imported: install layerkit's `mpi` extra (pip install "
                          f"'layerkit[mpi]'). ({error})") from error
    return MPI.COMM_WORLD


@functools.cache
def find_world():
    """The world of this process, found at the first call (mpi4py imported only under mpiexec).

    Raises
    ------
    ImportError
        Under an MPI launcher without mpi4py.
    """
    world = World(_mpi_comm() if launched_by_mpi() else None)
    if world.size > 1:
        install_abort_hook(world)
    return world
