"""The devices of the MPI world (one CPU device per process) and ``initialize``, as Keras names them."""

from layerkit.distribution.world import find_world

_DEVICE_TYPES = (None, "cpu")


def _check_device_type(device_type):
    if device_type not in _DEVICE_TYPES:
        raise ValueError(f"layerkit runs on CPUs only: `device_type` must be 'cpu' or None. "
                         f"Received: device_type={device_type!r}")


def list_devices(device_type=None):
    """The devices of the whole job: ``"cpu:<rank>"`` for each process, in rank order.

    Raises
    ------
    ValueError
        For a ``device_type`` other than ``"cpu"``.

    Example
    -------
    >>> list_devices()  # alone: one process
    ['cpu:0']
    """
    _check_device_type(device_type)
    return [f"cpu:{rank}" for rank in range(find_world().size)]


def get_device_count(device_type=None):
    """The number of devices of the job (its processes).

    Example
    -------
    >>> get_device_count()
    1
    """
    _check_device_type(device_type)
    return find_world().size


def initialize(job_addresses=None, num_processes=None, process_id=None):
    """Join the MPI world (Keras's multi-process set-up); mpiexec gives the addresses and ranks.

    Parameters
    ----------
    job_addresses : None
        Refused: under MPI the launcher (``mpiexec --hostfile ...``) places the processes.
    num_processes, process_id : int, optional
        When given, checked against the world mpiexec started.

    Raises
    ------
    ValueError
        For ``job_addresses``, or a count or rank that is not the world's.

    Example
    -------
    >>> initialize(num_processes=1, process_id=0)
    """
    if job_addresses is not None:
        raise ValueError("Under MPI the launcher places the processes: start them with `mpiexec -n N "
                         "--hostfile hosts python script.py` instead of passing `job_addresses`. "
                         f"Received: job_addresses={job_addresses!r}")
    world = find_world()
    for name, given, found in (("num_processes", num_processes, world.size),
                               ("process_id", process_id, world.rank)):
        if given is not None and given != found:
            raise ValueError(f"`{name}` does not match the MPI world this process belongs to "
                             f"({name}={found}, of {world.size} processes started by mpiexec). "
                             f"Received: {name}={given!r}")
