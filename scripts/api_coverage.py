"""Scan PyTorch's public API against ember's and write docs/coverage.md.

    python scripts/api_coverage.py            # needs torch (the oracle) installed
    python scripts/api_coverage.py --check    # also exit 1 if torch.nn classes or
                                              # torch.nn.functional functions fall below 90%

Four sections: ``dir(torch)``, the classes of ``torch.nn``, the functions of
``torch.nn.functional`` and the attributes of ``torch.Tensor`` (public names: no leading
underscore). Every PyTorch name ember lacks is listed with a reason: an explicit one
from ``REASONS`` when there is one, else the first matching rule of ``RULES`` (families
ember does not have: quantization, sparse and complex tensors, TorchScript, other
devices, ...), else "not implemented yet".
"""
import argparse
import inspect
import os
import re
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# explicit reasons for single names
REASONS = {
    # torch.nn / torch.nn.functional
    "MultiheadAttention": "attention and Transformer: the sequence-models issue (#10)",
    "Transformer": "attention and Transformer: the sequence-models issue (#10)",
    "TransformerEncoder": "attention and Transformer: the sequence-models issue (#10)",
    "TransformerEncoderLayer": "attention and Transformer: the sequence-models issue (#10)",
    "TransformerDecoder": "attention and Transformer: the sequence-models issue (#10)",
    "TransformerDecoderLayer": "attention and Transformer: the sequence-models issue (#10)",
    "scaled_dot_product_attention": "attention and Transformer: the sequence-models issue (#10)",
    "multi_head_attention_forward": "attention and Transformer: the sequence-models issue (#10)",
    "CTCLoss": "speech/sequence loss: the sequence-models issue (#10)",
    "ctc_loss": "speech/sequence loss: the sequence-models issue (#10)",
    "AdaptiveLogSoftmaxWithLoss": "large-vocabulary output layer: the sequence-models issue (#10)",
    "EmbeddingBag": "not implemented yet (Embedding + sum/mean covers it)",
    "embedding_bag": "not implemented yet (Embedding + sum/mean covers it)",
    "FractionalMaxPool2d": "not implemented yet (random pooling regions)",
    "FractionalMaxPool3d": "not implemented yet (random pooling regions)",
    "fractional_max_pool2d": "not implemented yet (random pooling regions)",
    "fractional_max_pool3d": "not implemented yet (random pooling regions)",
    "fractional_max_pool2d_with_indices": "not implemented yet (random pooling regions)",
    "fractional_max_pool3d_with_indices": "not implemented yet (random pooling regions)",
    "LinearCrossEntropyLoss": "fused large-vocabulary loss added in PyTorch 2.10+: not implemented yet",
    "LinearCrossEntropyOptions": "fused large-vocabulary loss added in PyTorch 2.10+: not implemented yet",
    "linear_cross_entropy": "fused large-vocabulary loss added in PyTorch 2.10+: not implemented yet",
    "grid_sample": "not implemented yet (spatial transformer sampling)",
    "grouped_mm": "GPU grouped GEMM for mixture-of-experts kernels: no CPU/NumPy counterpart",
    "scaled_grouped_mm": "low-precision (float8) GPU GEMM: ember has no float8",
    "scaled_mm": "low-precision (float8) GPU GEMM: ember has no float8",
    # torch.nn.functional's module-level helpers (not functions of the API)
    "Optional": "typing import inside torch.nn.functional, not API",
    "assert_int_or_pair": "internal argument checker of torch.nn.functional, not API",
    "boolean_dispatch": "internal TorchScript dispatch helper, not API",
    "handle_torch_function": "__torch_function__ protocol (tensor subclass overrides): not supported",
    "has_torch_function": "__torch_function__ protocol (tensor subclass overrides): not supported",
    "has_torch_function_unary": "__torch_function__ protocol (tensor subclass overrides): not supported",
    "has_torch_function_variadic": "__torch_function__ protocol (tensor subclass overrides): not supported",
    # torch
    "GradScaler": "mixed-precision loss scaling: ember computes in float32/float64",
    "autocast": "automatic mixed precision: ember computes in float32/float64",
    "amp": "automatic mixed precision: ember computes in float32/float64",
    "fft": "torch.fft: not implemented yet",
    "hub": "torch.hub downloads code and weights from GitHub: not provided (load local files)",
    "jit": "TorchScript: not supported (ember runs eagerly)",
    "onnx": "ONNX export: the export issue (#16)",
    "profiler": "profiler: the profiler issue (#16)",
    "export": "torch.export graph capture: not supported",
    "fx": "torch.fx graph capture: not supported",
    "compiler": "the torch.compile stack: ember.compile returns the model unchanged",
    "cuda": "ember.cuda: the GPU issue (#14)",
}

# (pattern, reason): first match wins; patterns are matched against the whole name
RULES = [
    (r"q_.*|.*quantiz.*|int_repr|qscheme|.*fake_quant.*|fbgemm.*|choose_qparams.*|"
     r"Q?U?Int\d.*Storage|QInt.*|quint.*|qint.*|.*per_channel.*|.*per_tensor.*|.*_obs_.*",
     "quantization: not supported (ember computes in float32/float64)"),
    (r".*sparse.*|.*_coo|.*csr.*|.*csc.*|.*bsr.*|.*bsc.*|(c?crow|ccol|col|row)_indices.*|"
     r"coalesce|is_coalesced|[dh]?smm|hspmm|sspaddmm|dense_dim|to_dense|indices(_copy)?|"
     r"values(_copy)?",
     "sparse tensors: not supported"),
    (r".*(complex|conj|cfloat|cdouble|chalf|imag|real|angle|polar|view_as_real|isreal).*",
     "complex numbers: ember has no complex dtypes"),
    (r"(float8.*|float4.*|bfloat16|bits.*|uint[1-7]|int[1-7]|complex\d+|BFloat16.*)",
     "a dtype NumPy does not have"),
    (r".*Storage.*|storage.*|untyped_storage|data_ptr|const_data_ptr|set_|record_stream|"
     r"pin_memory|is_pinned|share_memory_|is_shared|nbytes|itemsize|element_size",
     "storage/memory internals: ember tensors wrap NumPy arrays"),
    (r"(Script.*|.*Type|Graph.*|Node|Block|Value|Use|Code|CompilationUnit|FileCheck|"
     r"import_ir_module.*|fork|wait|Future|futures|Argument.*|Aliasdb|AliasDb|"
     r"ConcreteModuleType.*|DeepCopyMemoTable|TracingState|ExecutionPlan|Gradient|"
     r"FunctionSchema|ErrorReport|CallStack|JITException|LiteScriptModule|StaticModule|"
     r"ThroughputBenchmark|Benchmark.*|LoggerBase|NoopLogger|LockingLogger|AggregationType|"
     r"AVG|SUM|set_flush_denormal|merge_type_from_type_comment|parse_.*|vitals_enabled|"
     r"set_vital|read_vitals|PRIVATE_OPS|OperatorInfo|IODescriptor|Capsule|PyTorchFile.*|"
     r"ScriptModuleSerializer|SerializationStorageContext|DeserializationStorageContext|"
     r"script_if_tracing|unify_type_list|classes|ops|library|Tag|DispatchKey.*|"
     r"ExcludeDispatchKeyGuard|DisableTorchFunction.*|SymInt|SymFloat|SymBool|sym_.*|Sym.*|"
     r"guard_.*|InferredType|BufferDict|ModuleDict|ParameterDict)",
     "TorchScript/dispatcher internals: not part of ember (it runs eagerly in Python)"),
    (r"(has_.*|compiled_with_cxx11_abi|USE_.*|TYPE_CHECKING|builtins|ctypes|functools|glob|"
     r"importlib|inspect|math|os|sys|textwrap|threading|typing|warnings|platform|cpp|"
     r"overrides|return_types|types|version|torch|testing|utils|package|backends|"
     r"distributed|distributions|special|linalg|nn|optim|autograd|random|serialization|"
     r"storage|functional|multiprocessing|masked|nested|signal|quasirandom|monitor|"
     r"accelerator|mps|xpu|hpu|mtia|func|ao|contrib|futures|overrides|_.*)",
     "a module or build flag of torch (ember's own modules are compared where they exist)"),
    (r".*_copy|.*_scatter|as_strided.*|empty_strided|new_empty_strided|unsafe_.*|"
     r"narrow_copy|resize.*|.*_static",
     "view-copy/strided-memory variants for compilers: not needed with NumPy views"),
    (r"is_(cpu|cuda|nested|inference|neg|conj|distributed|signed|set_to|same_size|nonzero)|"
     r"name|names|rename.*|refine_names|align_.*|has_names|output_nr|volatile|reinforce|"
     r"dim_order|get_device|grad_dtype|module_load|as_subclass|new",
     "tensor introspection/legacy attribute: not implemented yet"),
    (r".*_", "in-place variant: not implemented yet (the out-of-place op exists or is listed)"),
]


_DEVICES = {"mkldnn", "cudnn", "miopen", "vulkan", "xla", "xpu", "ipu", "mps", "mtia", "maia",
            "hpu", "metal", "nnpack", "meta", "lazy"}


def reason(name):
    if name in REASONS:
        return REASONS[name]
    if _DEVICES & set(name.lower().split("_")):
        return "another backend/device: ember runs on NumPy (CPU) and CuPy (CUDA)"
    for pattern, why in RULES:
        if re.fullmatch(pattern, name, flags=re.IGNORECASE):
            return why
    return "not implemented yet"


def public(obj):
    return sorted(n for n in dir(obj) if not n.startswith("_"))


def sections():
    import torch
    import torch.nn.functional as TF

    import ember
    import ember.nn
    import ember.nn.functional as EF
    helpers = {"Optional", "assert_int_or_pair", "boolean_dispatch", "handle_torch_function",
               "has_torch_function", "has_torch_function_unary", "has_torch_function_variadic"}

    def nn_classes():
        return [n for n in public(torch.nn) if inspect.isclass(getattr(torch.nn, n))]

    def functions():
        out = []
        for n in public(TF):
            v = getattr(TF, n)
            if callable(v) and not inspect.isclass(v) and not inspect.ismodule(v) and n not in helpers:
                out.append(n)
        return out
    return [
        ("`torch` (top level)", public(torch), ember, None),
        ("`torch.nn` classes", nn_classes(), ember.nn, 0.90),
        ("`torch.nn.functional` functions", functions(), EF, 0.90),
        ("`torch.Tensor` attributes", public(torch.Tensor), ember.Tensor, None),
    ]


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default=os.path.join(ROOT, "docs", "coverage.md"))
    ap.add_argument("--check", action="store_true", help="exit 1 below a section's threshold")
    args = ap.parse_args(argv)
    sys.path.insert(0, ROOT)
    import torch
    rows, body, failed = [], [], []
    for title, names, ours, threshold in sections():
        missing = [n for n in names if not hasattr(ours, n)]
        have = len(names) - len(missing)
        pct = 100.0 * have / len(names) if names else 100.0
        rows.append(f"| {title} | {len(names)} | {have} | {len(missing)} | {pct:.1f}% |"
                    + (f" {threshold:.0%} |" if threshold else " - |"))
        if threshold and pct < 100 * threshold:
            failed.append(f"{title}: {pct:.1f}% < {threshold:.0%}")
        body.append(f"\n## {title}: {len(missing)} missing\n")
        by_reason = {}
        for n in missing:
            by_reason.setdefault(reason(n), []).append(n)
        for why in sorted(by_reason, key=lambda w: (-len(by_reason[w]), w)):
            body.append(f"- **{why}** ({len(by_reason[why])}): "
                        + ", ".join(f"`{n}`" for n in by_reason[why]))
    text = "\n".join([
        "# PyTorch API coverage",
        "",
        f"Generated by `python scripts/api_coverage.py` against torch {torch.__version__}: the public",
        "names of PyTorch that ember has (`hasattr` on the ember counterpart) and every missing",
        "name with the reason it is missing. Names are counted, not semantics: the test suite",
        "checks behaviour against PyTorch.",
        "",
        "| API | PyTorch names | in ember | missing | coverage | required |",
        "|---|---|---|---|---|---|",
        *rows,
        *body,
        "",
    ])
    os.makedirs(os.path.dirname(args.out), exist_ok=True)
    with open(args.out, "w") as f:
        f.write(text)
    print("\n".join(rows))
    if failed and args.check:
        print("below threshold: " + "; ".join(failed), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
