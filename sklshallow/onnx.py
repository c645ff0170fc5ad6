"""ONNX converters for sklshallow's estimators.

Importing this module registers them with skl2onnx, so that
``skl2onnx.to_onnx(est_or_pipeline, X[:1])`` converts the three estimators
and any Pipeline that ends in one::

    import sklshallow.onnx  # noqa: F401  (registers the converters)
    from skl2onnx import to_onnx

    onx = to_onnx(pipeline, X[:1].astype(np.float32), options={"zipmap": False})

The graphs compute what ``predict`` computes, from the same fitted arrays:
the layers (every activation, ``leaky_relu`` included), the labels from the
last pre-activation with the estimators' own rules (the perceptron's
``w.x + b >= 0`` is positive, kept exactly), the probabilities of
``predict_proba`` (the perceptron's raw ``decision_function`` scores unless
``loss='log'``) and regression outputs of shape ``(n, n_outputs)``
(``exp`` for ``loss='poisson'``). skl2onnx's own classifier options apply:
``zipmap``, ``nocl`` and ``output_class_labels``. A fitted
``sklshallow.model_selection`` search converts as scikit-learn's
``GridSearchCV`` does: through its ``best_estimator_``. Needs the ``onnx``
extra.
"""

import numpy as np

try:
    from skl2onnx import update_registered_converter
    from skl2onnx.common._apply_operation import (
        apply_cast,
        apply_concat,
        apply_identity,
        apply_sub,
    )
    from skl2onnx.common.data_types import (
        DoubleTensorType,
        FloatTensorType,
        Int64TensorType,
        guess_proto_type,
    )
    from skl2onnx.common.shape_calculator import calculate_linear_classifier_output_shapes
    from skl2onnx.common.utils_classifier import (
        _finalize_converter_classes,
        get_label_classes,
    )
    from skl2onnx.proto import onnx_proto
    # skl2onnx's own handling of sklearn's GridSearchCV (parse, shapes and
    # conversion through best_estimator_), which fits any fitted search.
    from skl2onnx._parse import _parse_sklearn_grid_search_cv
    from skl2onnx.operator_converters.grid_search_cv import convert_sklearn_grid_search_cv
    from skl2onnx.shape_calculators.grid_search_cv import (
        convert_sklearn_grid_search_cv as grid_search_cv_shape,
    )
except ImportError as exc:  # pragma: no cover - depends on the environment
    raise ImportError(
        "sklshallow.onnx needs skl2onnx and onnxruntime. Install the 'onnx' "
        "extra: pip install 'sklshallow[onnx]'."
    ) from exc

from . import model_selection
from ._mlp import MLPClassifierTF, MLPRegressor
from ._perceptron import PerceptronClassifier

from ._network import LEAKY_SLOPE

# ONNX operators of the hidden activations (``_network.ACTIVATIONS``).
_HIDDEN = {"identity": "Identity", "logistic": "Sigmoid", "tanh": "Tanh", "relu": "Relu"}


def _node(scope, container, op_type, inputs, **attrs):
    """Add one node; return the name of its output."""
    out = scope.get_unique_variable_name(op_type.lower())
    container.add_node(
        op_type, inputs, out, name=scope.get_unique_operator_name(op_type), **attrs
    )
    return out


def _const(scope, container, proto_dtype, value):
    name = scope.get_unique_variable_name("const")
    value = np.asarray(value)
    container.add_initializer(name, proto_dtype, list(value.shape), value.ravel().tolist())
    return name


def _proto_dtype(operator):
    dtype = guess_proto_type(operator.inputs[0].type)
    return dtype if dtype == onnx_proto.TensorProto.DOUBLE else onnx_proto.TensorProto.FLOAT


def _decision(scope, operator, container):
    """The last layer's pre-activation Z, as ``_network.decision``."""
    est, proto_dtype = operator.raw_operator, _proto_dtype(operator)
    coefs, intercepts = est._get_params()
    activation = est._net().activation
    A = scope.get_unique_variable_name("input")
    apply_cast(scope, operator.inputs[0].full_name, A, container, to=proto_dtype)
    for i, (W, b) in enumerate(zip(coefs, intercepts)):
        Z = _node(scope, container, "MatMul", [A, _const(scope, container, proto_dtype, W)])
        Z = _node(scope, container, "Add", [Z, _const(scope, container, proto_dtype, b[None, :])])
        if i == len(coefs) - 1:
            return Z
        if activation == "leaky_relu":  # max(z, 0.01 z), as _network (and in float64,
            # where onnxruntime has no LeakyRelu)
            slope = _const(scope, container, proto_dtype, [LEAKY_SLOPE])
            A = _node(scope, container, "Max", [Z, _node(scope, container, "Mul", [Z, slope])])
        else:
            A = _node(scope, container, _HIDDEN[activation], [Z])


def _sigmoid(scope, container, proto_dtype, Z):
    # 1 / (1 + exp(-z)) from Exp: onnxruntime's Sigmoid approximates the
    # tails (0 below z = -18 in float32), which normalised scores magnify.
    one = _const(scope, container, proto_dtype, [1.0])
    e = _node(scope, container, "Exp", [_node(scope, container, "Neg", [Z])])
    return _node(scope, container, "Reciprocal", [_node(scope, container, "Add", [one, e])])


def _softmax(scope, container, Z, out):
    # As _network's softmax: shift by the row maximum, exp, normalise (the
    # Softmax operator's exp is less accurate in float64).
    axes = _int64(scope, container, [1])
    top = _node(scope, container, "ReduceMax", [Z, axes], keepdims=1)
    e = _node(scope, container, "Exp", [_node(scope, container, "Sub", [Z, top])])
    total = _node(scope, container, "ReduceSum", [e, axes], keepdims=1)
    container.add_node("Div", [e, total], out, name=scope.get_unique_operator_name("Div"))


def _convert_classifier(scope, operator, container):
    est, proto_dtype = operator.raw_operator, _proto_dtype(operator)
    Z = _decision(scope, operator, container)
    y_type = est._label_binarizer.y_type_
    labels_out, scores_out = operator.outputs[0].full_name, operator.outputs[1].full_name

    # Scores: predict_proba, or the perceptron's raw decision function.
    if isinstance(est, PerceptronClassifier) and est.loss != "log":
        if y_type == "binary":
            negated = _node(scope, container, "Neg", [Z])
            apply_concat(scope, [negated, Z], scores_out, container, axis=1)
        else:
            apply_identity(scope, Z, scores_out, container)
    elif y_type == "multiclass" and getattr(est, "out_activation_", None) == "softmax":
        _softmax(scope, container, Z, scores_out)
    else:
        P = _sigmoid(scope, container, proto_dtype, Z)
        if y_type == "binary":
            one = _const(scope, container, proto_dtype, [1.0])
            negative = scope.get_unique_variable_name("negative")
            apply_sub(scope, [one, P], negative, container, broadcast=1)
            apply_concat(scope, [negative, P], scores_out, container, axis=1)
        elif y_type == "multiclass":  # the perceptron's one-vs-rest sigmoids, normalised
            total = _node(scope, container, "ReduceSum", [P, _int64(scope, container, [1])],
                          keepdims=1)
            zero = _node(scope, container, "Equal", [total, _const(scope, container, proto_dtype, [0.0])])
            total = _node(scope, container, "Where",
                          [zero, _const(scope, container, proto_dtype, [1.0]), total])
            container.add_node("Div", [P, total], scores_out,
                               name=scope.get_unique_operator_name("Div"))
        else:
            apply_identity(scope, P, scores_out, container)

    # Labels from Z with predict's rules: argmax (first of ties), else z >= 0.
    if y_type == "multiclass":
        index = _node(scope, container, "ArgMax", [Z], axis=1)
    else:
        zero = _const(scope, container, proto_dtype, [0.0])
        positive = _node(scope, container, "GreaterOrEqual", [Z, zero])
        index = scope.get_unique_variable_name("index")
        apply_cast(scope, positive, index, container, to=onnx_proto.TensorProto.INT64)
        if y_type.startswith("multilabel"):
            apply_identity(scope, index, labels_out, container)
            return
    classes = get_label_classes(scope, est)
    _finalize_converter_classes(scope, index, labels_out, container, classes, proto_dtype)


def _int64(scope, container, values):
    name = scope.get_unique_variable_name("axes")
    container.add_initializer(name, onnx_proto.TensorProto.INT64, [len(values)], values)
    return name


def _classifier_shape(operator):
    """skl2onnx's shapes; multilabel labels are an (n, n_labels) indicator."""
    calculate_linear_classifier_output_shapes(operator)
    est = operator.raw_operator
    if est._label_binarizer.y_type_.startswith("multilabel"):
        n = operator.inputs[0].get_first_dimension()
        operator.outputs[0].type = Int64TensorType([n, len(est.classes_)])


def _regressor_shape(operator):
    """(n, n_outputs), also for several outputs (skl2onnx's MLP gives (n * k, 1))."""
    est = operator.raw_operator
    n = operator.inputs[0].get_first_dimension()
    tensor = DoubleTensorType if _proto_dtype(operator) == onnx_proto.TensorProto.DOUBLE else FloatTensorType
    operator.outputs[0].type = tensor([n, est.n_outputs_])


def _convert_regressor(scope, operator, container):
    est = operator.raw_operator
    Z = _decision(scope, operator, container)
    out = operator.outputs[0].full_name
    if est.out_activation_ == "exp":  # loss='poisson'
        container.add_node("Exp", [Z], out, name=scope.get_unique_operator_name("Exp"))
    else:
        apply_identity(scope, Z, out, container)


_CLASSIFIER_OPTIONS = {
    "zipmap": [True, False, "columns"],
    "nocl": [True, False],
    "output_class_labels": [False, True],
}
for _cls in (MLPClassifierTF, PerceptronClassifier):
    update_registered_converter(
        _cls, f"Sklshallow{_cls.__name__}", _classifier_shape,
        _convert_classifier, options=_CLASSIFIER_OPTIONS,
    )
update_registered_converter(
    MLPRegressor, "SklshallowMLPRegressor", _regressor_shape, _convert_regressor
)
for _search in (
    model_selection.GridSearchCV, model_selection.RandomizedSearchCV,
    model_selection.HalvingGridSearchCV, model_selection.HalvingRandomSearchCV,
):
    update_registered_converter(
        _search, "SklearnGridSearchCV", grid_search_cv_shape,
        convert_sklearn_grid_search_cv, parser=_parse_sklearn_grid_search_cv,
        options="passthrough",
    )
