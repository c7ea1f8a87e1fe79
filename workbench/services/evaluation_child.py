"""Evaluating a candidate model for an approver in a child Python process: model files are
untrusted input, so loading and scoring them runs in ``python -m workbench.services.evaluation_child``,
never in the workbench's own process. The ``*_work`` functions take and give plain data."""

from __future__ import annotations

import json
import os
import queue
import signal
import subprocess
import sys
import threading
from collections import deque
from pathlib import Path
from typing import Any

from workbench.errors import (
    InvalidInputError,
    PermissionDeniedError,
    UnusableInputError,
    WorkbenchError,
)
from workbench.progress import Progress, quietly

POLL_S = 0.05  # how often the parent looks at the Cancel flag while the child works
STDERR_LINES = 6  # how many of the child's last error-output lines a failure quotes
_ENV_KEEP = ("PATH", "HOME", "USER", "LOGNAME", "LANG", "LANGUAGE", "TZ", "TMPDIR", "TEMP", "TMP",
             "SYSTEMROOT", "WINDIR", "LD_LIBRARY_PATH", "DYLD_LIBRARY_PATH", "VIRTUAL_ENV",
             "OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS", "CUDA_VISIBLE_DEVICES")


# ---------------------------------------------------------------------- the work (child side)
def importances_work(job: dict[str, Any], progress: Progress) -> list[dict[str, Any]]:
    """Permutation importances of ``job["model"]`` on the hold-out rows of ``job["data_path"]``."""
    from workbench.engines.runtime.explain import permutation_importance

    model = job["model"]
    items = permutation_importance(Path(model["path"]), model["sha256"], model["meta"], Path(job["data_path"]),
                                   Path(job["artifact_root"]), progress=progress)
    return [{"feature": i.feature, "mean": i.mean, "std": i.std} for i in items]


def label_free_work(job: dict[str, Any], progress: Progress) -> dict[str, Any]:
    """CBPE estimates of each subject (role, version, model, hold-out dataset or None) on the
    last ``max_rows`` rows of the production datasets; models without one get a note."""
    import pandas as pd

    from workbench.engines.runtime.explain import holdout_frame
    from workbench.engines.runtime.models import load_model
    from workbench.monitoring.cbpe import fit_cbpe

    max_rows, root = int(job["max_rows"]), Path(job["artifact_root"])
    rows = pd.concat([pd.read_parquet(p) for p in job["production"]], ignore_index=True).tail(max_rows)
    subjects = job["subjects"]
    models: list[dict[str, Any]] = []
    notes: list[str] = []
    for i, subject in enumerate(subjects):
        role, version, model = subject["role"], subject["version"], subject["model"]
        progress.step(i, len(subjects), f"estimating the {role} (version {version})")
        meta = model["meta"]
        predictor = load_model(Path(model["path"]), model["sha256"], meta, root)
        target = meta.get("target")
        if subject["dataset"] is None or not target:
            notes.append(f"{role} v{version} has no labelled hold-out rows")
            continue
        holdout = holdout_frame(Path(subject["dataset"]), meta, max_rows)
        if target not in holdout.columns:
            notes.append(f"{role} v{version}: its training data lacks the target {target!r}")
            continue
        try:
            if predictor.is_classifier and len(predictor.classes) == 2:
                labels = (holdout[target].astype(str) == str(predictor.classes[1])).to_numpy()
                cbpe = fit_cbpe(predictor.score(holdout), labels)
                progress.check()
                estimate = cbpe.estimate(predictor.score(rows))
                reference = cbpe.reference.realised if cbpe.reference and cbpe.reference.realised else {}
                method, calibration, estimated = "CBPE", cbpe.calibration, estimate.estimated
            else:
                method, estimated, reference = _other_estimate(predictor, holdout, rows, target, progress)
                calibration = ""
        except InvalidInputError as exc:
            notes.append(f"{role} v{version}: {exc}")
            continue
        models.append({"role": role, "version": version, "calibration": calibration, "method": method,
                       "estimated": {k: float(v) for k, v in estimated.items()},
                       "holdout": {k: float(v) for k, v in reference.items()}, "n_holdout": int(len(holdout))})
    progress.step(len(subjects), len(subjects), "done")
    return {"n_rows": int(len(rows)), "models": models, "notes": notes}


def _other_estimate(predictor: Any, holdout: Any, rows: Any, target: str,
                    progress: Progress) -> tuple[str, dict[str, float], dict[str, float]]:
    """Multiclass CBPE for a classifier of more than two classes, DLE for a regressor."""
    from workbench.monitoring.label_free import fit_dle, fit_multiclass_cbpe

    if predictor.is_classifier:
        matrix = predictor.proba_matrix(holdout)
        if matrix is None:
            raise InvalidInputError("the model gives no class probabilities, which CBPE needs")
        classes = list(predictor.classes)
        labels = holdout[target].to_numpy(dtype=object)
        model = fit_multiclass_cbpe(matrix, labels, classes)
        progress.check()
        found = model.estimate(predictor.proba_matrix(rows))
        return f"multiclass CBPE over {len(classes)} classes", found["estimated"], model.reference
    features = list(predictor.features)
    dle = fit_dle(holdout, predictor.predict(holdout), holdout[target].to_numpy(), features)
    progress.check()
    estimated = dle.estimate(rows, predictor.predict(rows))
    return "DLE (direct loss estimation)", estimated["estimated"], dle.reference


def explanations_work(job: dict[str, Any], progress: Progress) -> dict[str, Any]:
    """Global SHAP summaries of each subject (role, version, model) on the same rows: the
    hold-out rows of ``job["data_path"]`` (the candidate's), so the models compare fairly."""
    from workbench.engines.runtime.explain import holdout_frame, shap_explanation
    from workbench.engines.runtime.models import load_model

    root = Path(job["artifact_root"])
    subjects = job["subjects"]
    frame = None
    found: list[dict[str, Any]] = []
    for i, subject in enumerate(subjects):
        role, version, model = subject["role"], subject["version"], subject["model"]
        progress.step(i, len(subjects), f"explaining the {role} (version {version})")
        predictor = load_model(Path(model["path"]), model["sha256"], model["meta"], root)
        if frame is None:
            frame = holdout_frame(Path(job["data_path"]), model["meta"], int(job.get("max_rows", 2000)))
        try:
            # several models: all in the same output space (probabilities), so the bars compare
            explanation = shap_explanation(predictor, frame, max_rows=int(job.get("rows", 200)), seed=0,
                                           additive=len(subjects) == 1)
        except InvalidInputError as exc:
            found.append({"role": role, "version": version, "note": exc.message})
            continue
        found.append({"role": role, "version": version, **explanation.to_json(per_row=False)})
    progress.step(len(subjects), len(subjects), "done")
    return {"models": found, "n_rows": 0 if frame is None else int(len(frame))}


def fairness_work(job: dict[str, Any], progress: Progress) -> dict[str, Any]:
    """``monitoring.fairness.group_report`` of ``job["model"]`` over ``job["columns"]`` on the
    rows of ``job["data_path"]`` (the hold-out rows of ``job["split_meta"]``'s split when set)."""
    import pandas as pd

    from workbench.engines.runtime.explain import holdout_frame
    from workbench.engines.runtime.models import load_model
    from workbench.monitoring.fairness import group_report

    model, target = job["model"], job["target"]
    progress.step(0, 1, "scoring the rows per group")
    predictor = load_model(Path(model["path"]), model["sha256"], model["meta"], Path(job["artifact_root"]))
    split_meta = job.get("split_meta")
    frame = (holdout_frame(Path(job["data_path"]), split_meta, 10**9) if split_meta
             else pd.read_parquet(job["data_path"]))
    if target not in frame.columns:
        return {}
    frame = frame.loc[frame[target].notna()].reset_index(drop=True)
    classes = list(predictor.classes)
    if not predictor.is_classifier or len(classes) != 2:
        return {}
    predicted = predictor.predict(frame)
    out = {column: group_report(frame[target].to_numpy(), list(predicted), frame[column].astype(str).to_numpy(),
                                positive=classes[1], seed=int(job.get("seed", 0)))
           for column in job["columns"] if column in frame.columns}
    progress.step(1, 1, "done")
    return out


def drift_explain_work(job: dict[str, Any], progress: Progress) -> dict[str, Any]:
    """SHAP dependence of ``job["columns"]`` for ``job["model"]``: on ``rows`` of the hold-out
    rows of ``job["reference"]`` and ``rows`` of the last rows of ``job["current"]``, against one
    background of other reference rows (``services.drift_explanations``)."""
    import numpy as np
    import pandas as pd

    from workbench.engines.runtime.explain import holdout_frame
    from workbench.engines.runtime.models import load_model
    from workbench.engines.runtime.shapley import explain
    from workbench.monitoring.multivariate import MULTIVARIATE_COLUMN

    model, n = job["model"], int(job["rows"])
    progress.step(0, 3, "loading the model and the reference and current rows")
    predictor = load_model(Path(model["path"]), model["sha256"], model["meta"], Path(job["artifact_root"]))
    reference = holdout_frame(Path(job["reference"]), model["meta"], 10**9)
    current = pd.concat([pd.read_parquet(p) for p in job["current"]], ignore_index=True).tail(20 * n)
    rng = np.random.default_rng(0)
    order = rng.permutation(len(reference))
    background, reference = reference.iloc[np.sort(order[:50])], reference.iloc[np.sort(order[50:50 + n])]
    current = current.iloc[np.sort(rng.permutation(len(current))[:n])]
    found = {}
    for step, (name, rows) in enumerate((("reference", reference), ("current", current)), start=1):
        progress.step(step, 3, f"explaining {len(rows)} {name} rows")
        found[name] = explain(predictor, rows, background, seed=0, where=f"{name} rows")
    columns = [c for c in job["columns"] if c in predictor.features]
    if MULTIVARIATE_COLUMN in job["columns"]:  # the columns drifted together: show every feature
        columns += [c for c in predictor.features if c not in columns]
    out: dict[str, Any] = {}
    for column in columns:
        j = list(predictor.features).index(column)
        entry: dict[str, Any] = {}
        for name in ("reference", "current"):
            values = found[name].values[:, j, :].sum(axis=1)
            x = found[name].rows[column]
            entry[f"{name}_x"] = [None if pd.isna(v) else (v.item() if hasattr(v, "item") else v) for v in x]
            entry[f"{name}_shap"] = [float(v) for v in values]
            entry[f"mean_abs_{name}"] = float(np.abs(values).mean()) if len(values) else 0.0
        out[column] = entry
    progress.step(3, 3, "done")
    return {"output": ", ".join(found["reference"].outputs), "method": found["reference"].method,
            "n_reference": int(len(reference)), "n_current": int(len(current)), "features": out}


WORK = {"importances": importances_work, "label_free": label_free_work, "explanations": explanations_work,
        "fairness": fairness_work, "drift_explain": drift_explain_work}


def main() -> int:
    """The child: reads one job from stdin and writes JSON lines on the original stdout.

    ``{"pid"}`` first, then ``{"step": [done, total, text]}``, then one ``{"result"}`` or
    ``{"error"}``; anything else the libraries print goes to stderr. The work is a ``*_work``
    function of ``WORK`` (plain data in, plain data out), which gives the same numbers in any process.
    """
    import faulthandler
    import traceback

    faulthandler.enable()  # a crash leaves its Python stack in stderr, which the parent quotes
    protocol = os.fdopen(os.dup(1), "w", encoding="utf-8")
    os.dup2(2, 1)  # whatever else prints lands in stderr, not in the protocol
    sys.stdout = sys.stderr

    def send(**message: Any) -> None:
        protocol.write(json.dumps(message) + "\n")
        protocol.flush()

    send(pid=os.getpid())
    try:
        job = json.loads(sys.stdin.read())
        result = WORK[job["kind"]](job, Progress(lambda done, total, text: send(step=[done, total, text])))
    except WorkbenchError as exc:
        send(error={"type": type(exc).__name__, "message": exc.message, "where": exc.where, "hint": exc.hint})
    except Exception as exc:  # reported to the approver as a failed evaluation
        traceback.print_exc()
        send(error={"type": type(exc).__name__, "message": str(exc), "unexpected": True})
    else:
        send(result=result)
    return 0


# ---------------------------------------------------------------------- the parent side
def child_environment() -> dict[str, str]:
    """The child's environment: locale, paths and thread limits only (no store URL, database
    password, token or keyring setting), and ``PYTHONPATH`` finding this same workbench."""
    env = {k: v for k, v in os.environ.items() if k in _ENV_KEEP or k.startswith("LC_")}
    here = str(Path(__file__).resolve().parents[2])
    env["PYTHONPATH"] = os.pathsep.join(p for p in (here, os.environ.get("PYTHONPATH")) if p)
    env["PYTHONUNBUFFERED"] = "1"
    return env


def _errors() -> dict[str, type[WorkbenchError]]:
    from workbench.engines.runtime.models import ModelIntegrityError, UntrustedModelError

    kinds = (WorkbenchError, InvalidInputError, UnusableInputError, PermissionDeniedError,
             UntrustedModelError, ModelIntegrityError)
    return {kind.__name__: kind for kind in kinds}


def _kill(proc: subprocess.Popen[str]) -> None:
    """SIGKILL the child's process group (whatever it started too) and reap the child."""
    if proc.poll() is None:
        try:
            if hasattr(os, "killpg"):
                os.killpg(proc.pid, signal.SIGKILL)
            else:
                proc.kill()
        except ProcessLookupError:
            pass
    proc.wait()


def _ended(returncode: int) -> str:
    if returncode < 0:
        try:
            return f"was killed by signal {signal.Signals(-returncode).name}"
        except ValueError:
            return f"was killed by signal {-returncode}"
    return f"exited with code {returncode}"


def _quoted(lines: deque[str]) -> str:
    """The last ``STDERR_LINES`` non-empty lines of the child's error output, after the line
    naming a fatal error when there is one (Python's crash report puts it first)."""
    kept = [line.strip() for line in lines if line.strip(" ^~\n")]  # no caret lines under code
    fatal = [line for line in kept if line.startswith("Fatal Python error")][:1]
    return " | ".join(fatal + [line for line in kept[-STDERR_LINES:] if line not in fatal])


def evaluate(job: dict[str, Any], progress: Progress | None = None, *, where: str) -> Any:
    """Run ``job`` (``kind`` is a key of ``WORK``) in a child process and return its result.

    The job is plain JSON (artifact paths, sha256s, model metas, row limits; never the store's URL
    or any credential: the parent reads the store). The child runs with ``child_environment``, in
    its own process group, with the current directory off ``sys.path``. Its steps reach
    ``progress``, which is checked every ``POLL_S`` seconds; once cancelled, the child's group is
    killed and the same ``Cancelled`` is raised. A ``WorkbenchError`` in the child (a model refused
    as untrusted, a hash mismatch, bad input) is raised again here with its class and message; any
    other failure, or a child that dies, raises a ``WorkbenchError`` naming its exit code or signal
    and the last lines of its error output.
    """
    progress = quietly(progress)
    progress.check()
    proc = subprocess.Popen(
        [sys.executable, "-P", "-m", "workbench.services.evaluation_child"], stdin=subprocess.PIPE,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, encoding="utf-8", errors="replace",
        env=child_environment(), start_new_session=hasattr(os, "killpg"))
    lines: queue.Queue[str | None] = queue.Queue()
    tail: deque[str] = deque(maxlen=400)

    def pump(stream: Any, sink: Any) -> None:
        for line in stream:
            sink(line.rstrip("\n"))

    readers = [threading.Thread(target=lambda: (pump(proc.stdout, lines.put), lines.put(None)), daemon=True),
               threading.Thread(target=pump, args=(proc.stderr, tail.append), daemon=True)]
    for reader in readers:
        reader.start()
    outcome: dict[str, Any] = {}
    try:
        try:
            assert proc.stdin is not None
            proc.stdin.write(json.dumps(job))
            proc.stdin.close()
        except OSError:  # the child is already gone: its exit is reported below
            pass
        while True:
            try:
                line = lines.get(timeout=POLL_S)
            except queue.Empty:
                progress.check()
                continue
            if line is None:
                break
            try:
                message = json.loads(line)
            except ValueError:  # not the protocol: keep it with the error output
                message = None
            if not isinstance(message, dict):
                tail.append(line)
                continue
            if "step" in message:
                progress.step(*message["step"])
            elif "pid" in message:
                progress.step(0, 0, f"evaluating in a separate process (pid {message['pid']})")
            else:
                outcome = message
        while proc.poll() is None:
            try:
                proc.wait(timeout=POLL_S)
            except subprocess.TimeoutExpired:
                progress.check()
    except BaseException:  # Cancelled (or anything else): the child goes first
        _kill(proc)
        raise
    finally:
        for reader in readers:
            reader.join(timeout=5)
        if not any(reader.is_alive() for reader in readers):
            for stream in (proc.stdout, proc.stderr):
                if stream is not None:
                    stream.close()
    if "error" in outcome:
        error = outcome["error"]
        if error.get("unexpected"):
            raise WorkbenchError(f"evaluating the model failed: {error['type']}: {error['message']}", where=where,
                                 hint="nothing was kept; the evaluation process's error output ends: " + _quoted(tail))
        kind = _errors().get(error["type"], WorkbenchError)
        raise kind(error["message"], where=error.get("where"), hint=error.get("hint"))
    if "result" in outcome and proc.returncode == 0:
        return outcome["result"]
    said = _quoted(tail) or "(nothing)"
    raise WorkbenchError(f"the evaluation process ended unexpectedly: it {_ended(proc.returncode)} before "
                         f"it gave a result; the last lines of its error output: {said}", where=where,
                         hint="nothing was kept; try again, and if it ends the same way the model file may be "
                              "damaged: ask its owner to train it again")


if __name__ == "__main__":
    sys.exit(main())
