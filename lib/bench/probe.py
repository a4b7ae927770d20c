"""What the benchmark reads around its measurements: the machine's load (from /proc/stat), the
time of calls, memory (the process's and the device's), and the machine's description.

Backend-neutral: the frameworks are asked only by machine_description() and device_peak_memory_mb(),
and only the one Keras uses (lib/devices/backend.py).
"""
import os
import platform
import resource
import time

# Machine load: CPU time of the whole machine minus this process's, from /proc/stat.

def _machine_busy_seconds():
    """CPU-seconds the machine has spent busy since boot (all cores), or None off Linux."""
    try:
        with open('/proc/stat') as f:
            fields = f.readline().split()[1:]
    except OSError:
        return None
    user, nice, system, idle, iowait, irq, softirq, steal = (int(v) for v in fields[:8])
    return (user + nice + system + irq + softirq + steal) / os.sysconf('SC_CLK_TCK')


def _own_seconds():
    t = os.times()
    return t.user + t.system


def _loadavg():
    try:
        return os.getloadavg()[0]
    except OSError:
        return None


class LoadProbe:
    """Cores kept busy by other processes between start() and stop()."""

    def start(self):
        self.t0, self.busy0, self.own0, self.load0 = time.perf_counter(), _machine_busy_seconds(), _own_seconds(), _loadavg()
        return self

    def stop(self):
        wall = time.perf_counter() - self.t0
        busy1, own1 = _machine_busy_seconds(), _own_seconds()
        others = None
        if self.busy0 is not None and wall > 0:
            others = max(0.0, ((busy1 - self.busy0) - (own1 - self.own0)) / wall)
        return {'others_cores': others, 'load_before': self.load0, 'load_after': _loadavg(),
                'own_cores': (own1 - self.own0) / wall if wall > 0 else None}


def idle_check(seconds=1.0):
    probe = LoadProbe().start()
    time.sleep(seconds)
    return probe.stop()


# Timing and memory of a worker's calls

def timed(fn, warmup, reps):
    for _ in range(warmup):
        fn()
    probe = LoadProbe().start()
    times = []
    for _ in range(reps):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return times, probe.stop()


def rss_mb():
    """Current resident memory (MB) of this process."""
    try:
        with open('/proc/self/statm') as f:
            return int(f.read().split()[1]) * os.sysconf('SC_PAGE_SIZE') / 2 ** 20
    except OSError:
        return None


def peak_rss_mb():
    """Peak resident memory (MB) of this process. VmHWM, not ru_maxrss: Linux carries ru_maxrss over
    exec from the forked parent, so a worker would report the parent's size."""
    try:
        with open('/proc/self/status') as f:
            for line in f:
                if line.startswith('VmHWM:'):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024   # KB on Linux


def device_peak_memory_mb():
    """Peak memory the backend allocated on its GPU in this process (MB), or None (CPU, or not said)."""
    from lib.devices.backend import backend_name, device_kind
    backend = backend_name()
    try:
        if device_kind(backend) != 'gpu':
            return None
        if backend == 'jax':
            import jax
            stats = jax.devices()[0].memory_stats() or {}
            peak = stats.get('peak_bytes_in_use')
        elif backend == 'torch':
            import torch
            peak = torch.cuda.max_memory_allocated()
        else:
            import tensorflow as tf
            peak = tf.config.experimental.get_memory_info('GPU:0')['peak']
    except Exception:   # a backend that does not report it: the row says '-'
        return None
    return None if peak is None else peak / 2 ** 20


def cpu_info():
    """The CPU's name (with its family and model on x86) and the vector and matrix extensions that matter here."""
    cpu = platform.processor() or 'unknown'
    flags, family = [], {}
    try:
        with open('/proc/cpuinfo') as f:
            for line in f:
                key = line.split(':', 1)[0].strip()
                if key == 'model name' and cpu in ('unknown', '', 'x86_64'):
                    cpu = line.split(':', 1)[1].strip()
                elif key in ('cpu family', 'model', 'stepping') and key not in family:
                    family[key] = line.split(':', 1)[1].strip()
                elif key == 'flags':
                    flags = line.split(':', 1)[1].split()
                    break
    except OSError:
        pass
    if family:
        cpu += f' (family {family.get("cpu family")}, model {family.get("model")})'
    return cpu, [f for f in ('avx2', 'avx512f', 'avx512_bf16', 'amx_bf16', 'amx_tile') if f in flags]


def machine_description():
    """The machine, the backend and its versions, and the GPUs the backend sees (in this process)."""
    import keras
    import numpy
    from lib.devices.backend import accelerators, framework_versions
    backend = keras.backend.backend()
    cpu, vector = cpu_info()
    memory = None
    try:
        with open('/proc/meminfo') as f:
            memory = int(f.readline().split()[1]) / 2 ** 20
    except OSError:
        pass
    versions = framework_versions(backend)
    description = {
        'cpu': cpu, 'cores': os.cpu_count(),
        'cores_usable': len(os.sched_getaffinity(0)) if hasattr(os, 'sched_getaffinity') else os.cpu_count(),
        'memory_gb': None if memory is None else round(memory, 1), 'vector_extensions': vector,
        'kernel': platform.release(), 'python': platform.python_version(), 'backend': backend,
        **{name: version for name, version in versions.items()}, 'numpy': numpy.__version__,
        'gpus': accelerators(backend),
    }
    if backend == 'tensorflow':
        description['onednn'] = os.environ.get('TF_ENABLE_ONEDNN_OPTS', 'default (on for x86 CPUs)')
    if backend == 'jax':
        import jax
        description['jax_default_matmul_precision'] = str(jax.config.jax_default_matmul_precision or 'default')
    if backend == 'torch':
        import torch
        description['torch_tf32'] = (f'matmul {torch.backends.cuda.matmul.allow_tf32}, '
                                     f'cudnn {torch.backends.cudnn.allow_tf32}')
    return description
