"""scikit-learn's estimator protocol, written out so that tsgrad does not depend on it.

``clone``, ``Pipeline``, ``GridSearchCV`` and ``get_tags`` need ``get_params`` /
``set_params`` over the constructor's parameters and ``__sklearn_tags__``; the tags are
built from scikit-learn's own classes, imported only when scikit-learn asks for them (it is
then installed).
"""

from __future__ import annotations

import inspect


class ParamsEstimator:
    """Base of the estimators: ``get_params``, ``set_params`` and a concise ``repr``.

    Subclasses take their parameters as keyword-only constructor arguments and store
    them unchanged under the same names (validation happens in ``fit``).
    """

    _estimator_type = "clusterer"  # scikit-learn < 1.6 reads this attribute

    @classmethod
    def _param_names(cls) -> list[str]:
        sig = inspect.signature(cls.__init__)
        return sorted(p.name for p in sig.parameters.values() if p.kind == p.KEYWORD_ONLY)

    def get_params(self, deep: bool = True) -> dict:
        """Parameters of this estimator, by name (``deep`` is accepted: none is an
        estimator)."""
        return {name: getattr(self, name) for name in self._param_names()}

    def set_params(self, **params):
        """Set parameters by name; unknown names are an error.  Returns ``self``."""
        valid = self._param_names()
        for name, value in params.items():
            if name not in valid:
                raise ValueError(
                    f"Invalid parameter {name!r} for estimator {type(self).__name__}. "
                    f"Valid parameters are: {valid}."
                )
            setattr(self, name, value)
        return self

    def __repr__(self) -> str:
        defaults = {
            p.name: p.default for p in inspect.signature(type(self).__init__).parameters.values()
        }
        changed = []
        for name, value in self.get_params().items():
            default = defaults[name]
            same = value is default or (
                type(value) is type(default)
                and not hasattr(value, "__array__")
                and value == default
            )
            if not same:
                changed.append(f"{name}={value!r}")
        return f"{type(self).__name__}({', '.join(changed)})"

    def _allows_nan(self) -> bool:
        return True

    def __sklearn_tags__(self):
        from sklearn.utils import InputTags, Tags, TargetTags, TransformerTags

        return Tags(
            estimator_type="clusterer",
            target_tags=TargetTags(required=False),
            transformer_tags=TransformerTags(),
            input_tags=InputTags(three_d_array=True, allow_nan=self._allows_nan()),
        )
