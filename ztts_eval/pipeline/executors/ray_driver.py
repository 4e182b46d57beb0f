"""`--executor ray`: generation and scoring actors on a Ray cluster, stages overlapped.

The driver (this process) connects to a cluster (`--address auto|HOST:PORT`, or starts a local
one), starts one generation actor per GPU (or `gen_actors` on CPUs) and one scoring actor per
metric (a `score_gpus` share of a GPU for metrics that use one, so small scorers share a device),
then hands items to scorers as their audio appears. It is the only writer of the SQLite store;
whole-set metrics reduce here at the end from the cached features (docs/decisions.md §16).
"""

from __future__ import annotations

import math
import os
import sys
import time
from pathlib import Path
from typing import Any

from model_adapters.base import Adapter, AdapterError
from ztts_eval.metrics.base import CorpusMetric, Metric, MetricSetupError
from ztts_eval.pipeline.executors.base import Executor, StageOutcome, StagePlan, stage_log
from ztts_eval.pipeline.executors.ray_actors import GenerationActor, ScoringActor, StoreReader, included_files
from ztts_eval.pipeline.executors.ray_feeds import Batch, Feed
from ztts_eval.pipeline.executors.ray_schedule import Pool, Schedule
from ztts_eval.pipeline.generation import StageStats, cache_lookup, request_keys
from ztts_eval.pipeline.progress import StagesProgress
from ztts_eval.pipeline.scoring import corpus_scores


def import_ray():
    try:
        import ray
    except ImportError:
        raise AdapterError("--executor ray needs Ray: pip install -e '.[ray]'") from None
    return ray


class RayExecutor(Executor):
    name = "ray"

    def __init__(
        self,
        address: str | None = None,
        gen_actors: int | None = None,
        gen_gpus: float | None = None,
        score_gpus: float = 0.25,
        max_attempts: int = 3,
        num_cpus: int | None = None,
        start_timeout_s: float = 900.0,
    ) -> None:
        if max_attempts < 1 or (gen_actors is not None and gen_actors < 1) or not 0 < score_gpus <= 1:
            raise ValueError("ray options: max_attempts ≥ 1, gen_actors ≥ 1, 0 < score_gpus ≤ 1")
        self.address, self.gen_actors, self.gen_gpus = address, gen_actors, gen_gpus
        self.score_gpus, self.max_attempts, self.num_cpus = score_gpus, max_attempts, num_cpus
        self.start_timeout_s = start_timeout_s
        if address is None and "ray" not in sys.modules:
            # A cluster started here serves only this machine: Ray then binds loopback only.
            os.environ.setdefault("RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER", "0")
        self.ray = import_ray()
        self._owns_ray = False
        self._actors: list[Any] = []
        self._pools: dict[str, Pool] = {}
        self._info: dict[str, Any] = {}

    # -- start ------------------------------------------------------------------------------------
    def load(
        self, adapter: Adapter, model: str, metrics: list[Metric], metric_params: dict[str, dict[str, Any]], cache_root: Path
    ) -> None:
        ray = self.ray
        self._batch = max(1, adapter.capabilities.max_batch)
        if not ray.is_initialized():
            ray.init(
                address=self.address,
                num_cpus=self.num_cpus,
                include_dashboard=False,
                log_to_driver=False,
                logging_level="WARNING",
            )
            self._owns_ray = True
        res = ray.cluster_resources()
        cpus, gpus = float(res.get("CPU", 0)), float(res.get("GPU", 0))
        gen_gpus = self.gen_gpus if self.gen_gpus is not None else (1.0 if gpus else 0.0)
        n_gen = self.gen_actors or (max(1, int(gpus // gen_gpus)) if gen_gpus else 1)
        gen_cpus, score_cpus = _cpu_shares(cpus, n_gen, len(metrics))
        score_gpus = {m.info.name: self.score_gpus if gpus and m.info.device != "cpu" else 0.0 for m in metrics}
        need_gpus = n_gen * gen_gpus + sum(score_gpus.values())
        if need_gpus > gpus + 1e-9:
            raise AdapterError(
                f"the Ray cluster has {gpus:g} GPU(s) and this run asks for {need_gpus:g} "
                f"({n_gen} generation actor(s) × {gen_gpus:g} + scorers): pass --gen-actors or --score-gpus"
            )
        includes, root = included_files(), str(Path(cache_root).resolve())
        env = {"env_vars": actor_env()}
        gen_cls = ray.remote(GenerationActor).options(
            num_cpus=gen_cpus, num_gpus=gen_gpus, max_restarts=-1, max_task_retries=0, runtime_env=env
        )
        gen = [gen_cls.remote(model, adapter.params, includes, root) for _ in range(n_gen)]
        self._actors += gen
        loaded = self._get([a.load.remote() for a in gen])
        fps = [x["fingerprint"] for x in loaded]
        if any(fp != fps[0] for fp in fps):
            raise AdapterError(f"{model}: generation actors disagree on the adapter fingerprint (different nodes?): {fps}")
        self._fingerprint = fps[0]
        self._pools["generate"] = Pool(gen, gen_gpus)
        reader = None
        if any(type(m).bind_store is not Metric.bind_store for m in metrics):
            from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

            here = NodeAffinitySchedulingStrategy(ray.get_runtime_context().get_node_id(), soft=False)
            reader = ray.remote(StoreReader).options(num_cpus=0, scheduling_strategy=here).remote(root)
            self._actors.append(reader)
        scorers = {}
        for m in metrics:
            name = m.info.name
            share = score_gpus[name]
            cls = ray.remote(ScoringActor).options(
                num_cpus=score_cpus, num_gpus=share, max_restarts=-1, max_task_retries=0, runtime_env=env
            )
            scorers[name] = cls.remote(name, metric_params.get(name, {}), includes, root, reader)
            self._actors.append(scorers[name])
            self._pools[name] = Pool([scorers[name]], share)
        for m, fp in zip(metrics, self._get([scorers[m.info.name].fingerprint.remote() for m in metrics])):
            if fp != m.fingerprint():
                raise MetricSetupError(
                    f"metric {m.info.name}: its Ray actor computes a different fingerprint than this driver "
                    "(other package versions or weights on that node); install the same on every node"
                )
        self._info = {
            "address": self.address or "local",
            "ray_version": ray.__version__,
            "cluster": {"CPU": cpus, "GPU": gpus},
            "hosts": sorted({x["host"] for x in loaded}),
            "actors": {"generate": {"count": n_gen, "num_cpus": gen_cpus, "num_gpus": gen_gpus}}
            | {m.info.name: {"count": 1, "num_cpus": score_cpus, "num_gpus": self._pools[m.info.name].gpus} for m in metrics},
            "max_attempts": self.max_attempts,
            "threads": thread_env(),
        }

    def _get(self, refs: list) -> list:
        """Start-up answers (adapter loaded, metric fingerprint): a cluster that cannot place an actor
        would wait forever, so this waits `start_timeout_s` and says where to look."""
        try:
            return self.ray.get(refs, timeout=self.start_timeout_s)
        except self.ray.exceptions.GetTimeoutError:
            raise AdapterError(
                f"Ray actors did not start within {self.start_timeout_s:g} s: the cluster may lack the resources "
                "they ask for (run.json lists them; `ray status` shows what is free)"
            ) from None
        except self.ray.exceptions.RayTaskError as exc:  # AdapterError / MetricSetupError: one line upstream
            raise exc.cause if isinstance(exc.cause, BaseException) else exc from None

    def adapter_fingerprint(self) -> dict[str, Any]:
        return self._fingerprint

    def describe(self) -> dict[str, Any]:
        return {"name": self.name, **self._info}

    # -- run --------------------------------------------------------------------------------------
    def run(self, plan: StagePlan) -> StageOutcome:
        store = plan.store
        keys = request_keys(self._fingerprint, plan.requests, plan.item_shas)
        records, todo = cache_lookup(keys, plan.requests, store, force="generate" in plan.force, retry_failed=plan.retry_failed)
        gen = StageStats(cached=len(records))
        with StagesProgress(f"{plan.system} on ray") as progress:
            sched = Schedule(self.ray, store, self.max_attempts, progress)
            sched.pools = self._pools
            feeds = _feeds(plan, store)
            sched.feeds = {name: list(fs.values()) for name, fs in feeds.items()}

            def offer(inputs, which="system"):
                for name, fs in feeds.items():
                    if which in fs:
                        progress.add_total(f"score:{name}", fs[which].add(inputs))

            offer(plan.score_inputs(dict(records)))  # cached generations first: the local order
            for m in plan.metrics:  # whole-set metrics' reference and extra sets do not wait for generation
                if isinstance(m, CorpusMetric):
                    fs = feeds[m.info.name]
                    refs = [i for i in plan.reference_inputs if "reference_set" in m.info.inputs]
                    progress.add_total(f"score:{m.info.name}", fs["reference"].add(refs))
                    extra = m.extra_sets(store)
                    progress.add_total(f"score:{m.info.name}", fs["extra"].add([i for s in extra.values() for i in s]))
                    fs["reference"].flush()
                    fs["extra"].flush()
            size = self._batch
            sched.gen_queue.extend(Batch("generate", todo[i : i + size], "generate") for i in range(0, len(todo), size))
            progress.add_total("generate", len(todo))
            position = {(r.item_id, r.seed): n for n, r in enumerate(todo)}
            done: dict[int, dict[str, Any]] = {}
            frontier = [0]

            def on_records(pairs):
                new = {}
                for req, rec in pairs:
                    done[position[(req.item_id, req.seed)]] = rec
                    new[keys[(req.item_id, req.seed)]] = rec
                store.put_many("generations", new)
                gen.computed += len(pairs)
                released = {}
                while frontier[0] in done:  # release to scorers in generation order, not completion order
                    req = todo[frontier[0]]
                    records[(req.item_id, req.seed)] = released[(req.item_id, req.seed)] = done.pop(frontier[0])
                    frontier[0] += 1
                if released:
                    offer(plan.score_inputs(released))
                if frontier[0] == len(todo):
                    for fs in feeds.values():
                        fs["system"].flush()

            sched.on_records = on_records
            if not todo:
                on_records([])
            while sched.step():
                pass
        return self._finish(plan, records, feeds, sched, gen)

    def _finish(self, plan: StagePlan, records, feeds, sched: Schedule, gen: StageStats) -> StageOutcome:
        usage = sched.accounting()
        stages = {"generate": gen}
        gen.wall_s = usage.get("generate", {}).get("span_s", 0.0)
        gen.model_s = usage.get("generate", {}).get("busy_s", 0.0)
        plan.log(stage_log(f"generate {plan.system}", gen))
        scores, corpus = {}, {}
        inputs = plan.score_inputs(records)
        for m in plan.metrics:
            name, fs = m.info.name, feeds[m.info.name]
            u = usage.get(f"score:{name}", {})
            st = StageStats(computed=sum(f.computed for f in fs.values()), cached=sum(f.cached for f in fs.values()))
            st.model_s, st.wall_s = u.get("busy_s", 0.0), u.get("span_s", 0.0)
            st.extra.update(sched.counters.get(name, {}))
            if isinstance(m, CorpusMetric):  # every feature is cached now: only the reduction runs here
                t0 = time.perf_counter()
                corpus[name], _ = corpus_scores(m, inputs, plan.reference_inputs, plan.store, force=False)
                st.model_s += time.perf_counter() - t0
                usage.setdefault(f"score:{name}", {})["reduce_s"] = round(time.perf_counter() - t0, 3)
            else:
                scores[name] = {i.key: fs["system"].values[i.key] for i in inputs}
            stages[f"score:{name}"] = st
            plan.log(stage_log(f"score {name}", st))
        return StageOutcome(records, scores, corpus, stages, {"stages": usage})

    def close(self) -> None:
        for actor in self._actors:
            try:
                self.ray.kill(actor, no_restart=True)
            except Exception:  # already gone
                pass
        self._actors = []
        if self._owns_ray and self.ray.is_initialized():
            self.ray.shutdown()


def thread_env() -> dict[str, str]:
    """The thread counts this process's numeric libraries use, for every actor. Ray would set
    OMP_NUM_THREADS to an actor's (fractional → 1) CPU share, and a reduction split over another
    number of threads differs in the last bits (resemblyzer on the demo: 47.877644517 vs …5129),
    so actors would not reproduce a local run. Unset here means the libraries' default: the cores
    this process may use."""
    default = str(len(os.sched_getaffinity(0)))
    return {k: os.environ.get(k, default) for k in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS")}


# Where models come from, passed to actors on other machines too (never API keys: runtime_env
# travels through Ray's metadata, so vendor keys must be set in each node's own environment).
MODEL_ENV = ("ZTTS_EVAL_MODELS", "HF_HOME", "HF_HUB_CACHE", "HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE")


def actor_env() -> dict[str, str]:
    return {**thread_env(), **{k: os.environ[k] for k in MODEL_ENV if k in os.environ}}


def _cpu_shares(cpus: float, n_gen: int, n_metrics: int) -> tuple[float, float]:
    """Logical CPUs per generation and per scoring actor, so that every actor fits on the cluster
    at once (they run concurrently: Ray places them, the OS shares the cores). Hundredths, rounded
    down: Ray refuses finer shares, and rounding up could leave the last actor unplaceable."""
    gen = min(1.0, cpus / (n_gen + 1))
    score = math.floor(100 * min(1.0, (cpus - n_gen * gen) / max(1, n_metrics))) / 100
    if score < 0.01:
        raise AdapterError(f"the Ray cluster has {cpus:g} CPU(s): too few for {n_gen} generation and {n_metrics} scoring actors")
    return gen, score


def _feeds(plan: StagePlan, store) -> dict[str, dict[str, Feed]]:
    """Per metric: its system feed, and for whole-set metrics the reference and extra-set feeds."""
    out = {}
    for m in plan.metrics:
        written: set[str] = set()
        kind = "feature" if isinstance(m, CorpusMetric) else "sample"
        sets = ("system", "reference", "extra") if kind == "feature" else ("system",)
        fp = m.fingerprint()
        stage = f"score:{m.info.name}"
        out[m.info.name] = {
            s: Feed(stage, m, kind, store, plan.forced(m), fp, written, s != "extra" and kind == "feature") for s in sets
        }
    return out
