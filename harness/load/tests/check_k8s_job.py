#!/usr/bin/env python3
"""check_k8s_job: validates the wsb-load Kubernetes indexed Job manifest (used by test-wsbload).

Parses the YAML (python3-yaml) and checks what the replicas rely on: a batch/v1 Job in
Indexed completion mode with completions, parallelism within it, no retries, a deadline,
restartPolicy Never, a container that runs wsb-load with --url, --out-dir on a mounted volume,
and flags wsb-load knows (each checked against `wsb-load --help`). Prints one problem per
line and exits 1 when any; 0 and "ok" otherwise. Usage: check_k8s_job.py MANIFEST WSB_LOAD
"""
import subprocess
import sys

import yaml


def problems(doc, help_text):
    out = []
    if not isinstance(doc, dict):
        return ["the manifest is not a mapping"]
    if doc.get("apiVersion") != "batch/v1" or doc.get("kind") != "Job":
        out.append("not a batch/v1 Job")
    spec = doc.get("spec") or {}
    if spec.get("completionMode") != "Indexed":
        out.append("spec.completionMode is not Indexed (replicas would not get JOB_COMPLETION_INDEX)")
    comp, par = spec.get("completions"), spec.get("parallelism")
    if not isinstance(comp, int) or comp < 1:
        out.append("spec.completions is not a positive integer")
    if not isinstance(par, int) or par < 1 or (isinstance(comp, int) and par > comp):
        out.append("spec.parallelism is not between 1 and completions")
    if spec.get("backoffLimit") != 0:
        out.append("spec.backoffLimit is not 0 (a failed replica would be rerun)")
    if not isinstance(spec.get("activeDeadlineSeconds"), int):
        out.append("spec.activeDeadlineSeconds is missing (the run would be unbounded)")
    pod = (spec.get("template") or {}).get("spec") or {}
    if pod.get("restartPolicy") != "Never":
        out.append("template.spec.restartPolicy is not Never")
    conts = pod.get("containers") or []
    if len(conts) != 1:
        return out + ["want exactly one container"]
    c = conts[0]
    if c.get("command") != ["wsb-load"]:
        out.append("the container's command is not [wsb-load]")
    args = [str(a) for a in c.get("args") or []]
    if "--url" not in args:
        out.append("wsb-load has no --url")
    if "--out-dir" not in args:
        out.append("wsb-load has no --out-dir (replicas would write nowhere mergeable)")
    else:
        out_dir = args[args.index("--out-dir") + 1] if args.index("--out-dir") + 1 < len(args) else ""
        mounts = [m.get("mountPath") for m in c.get("volumeMounts") or []]
        if not any(out_dir == m or out_dir.startswith(str(m) + "/") for m in mounts):
            out.append("--out-dir %s is not on a mounted volume" % out_dir)
    for a in args:
        if a.startswith("--") and a not in help_text:
            out.append("wsb-load does not know %s" % a)
    if "--worker-index" in args or "--workers" in args:
        out.append("the index comes from JOB_COMPLETION_INDEX; --worker-index/--workers do not belong")
    return out


def main():
    if len(sys.argv) != 3:
        print("usage: check_k8s_job.py MANIFEST WSB_LOAD")
        return 2
    try:
        with open(sys.argv[1]) as f:
            docs = list(yaml.safe_load_all(f))
    except (OSError, yaml.YAMLError) as e:
        print("cannot read the manifest: %s" % e)
        return 1
    help_text = subprocess.run([sys.argv[2], "--help"], capture_output=True, text=True,
                               timeout=10).stdout
    if len(docs) != 1:
        print("want exactly one YAML document, found %d" % len(docs))
        return 1
    p = problems(docs[0], help_text)
    for line in p:
        print(line)
    if not p:
        print("ok")
    return 1 if p else 0


if __name__ == "__main__":
    sys.exit(main())
