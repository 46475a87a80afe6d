"""Bayesian: the model-based report's five models, fitted by SVI or NUTS in the background, and
what a posterior shows that a point estimate does not."""

from dataclasses import replace

import streamlit as st

from dashboard import forms, job_panel, jobs
from dashboard.bundle_view import bundle_button
from dashboard.calibration_view import calibration_view
from dashboard.charts import chart, chart_config
from dashboard.params import form_widget, param_grid, read_params, set_params
from dashboard.report_view import report_buttons
from dashboard.state import plain, require_dataset, show_error
from genre_core.data.splits import SplitSpec
from genre_core.errors import DataError
from genre_core.experiments import bayes as recipes
from genre_core.experiments import bayes_tables
from genre_core.models import bayes, posterior
from genre_core.plots import bayes as bayes_plots

KEY = "bayes"
FORM = bayes.BAYES_PARAMS.select([p.name for p in bayes.BAYES_PARAMS if p.name != "seed"])
dataset = require_dataset()
frame, roles = dataset.frame, dataset.roles
state = st.session_state
groups = forms.group_choices(dataset)
honest = forms.honest_split(dataset).get("group_column", "")
data_key = forms.follow_dataset(KEY, dataset, features=list(roles.features), rows_from=honest)

forms.page_header(
    "Bayesian models",
    dataset,
    "The five models of 'Music Genre Classification using Model-Based Machine Learning': a "
    "posterior gives every coefficient and every prediction a spread, not just a value. Fits "
    "run in the background.",
)


# ---- the form, from the schema ----------------------------------------------------------------
def apply_preset() -> None:
    values = recipes.preset_values(state["bayes.preset"])
    set_params(KEY, bayes.BAYES_PARAMS, values)
    set_params(KEY, bayes.ROW_PARAMS, values)


def load_recipe(recipe: recipes.BayesSpec) -> None:
    set_params(
        KEY, bayes.BAYES_PARAMS, {**bayes.BAYES_PARAMS.resolve(recipe.params), "seed": recipe.seed}
    )
    set_params(KEY, bayes.ROW_PARAMS, {"n_train": recipe.n_train, "n_test": recipe.n_test})
    if recipe.data.features:
        state["bayes.features"] = [f for f in recipe.data.features if f in frame.columns]
    group = recipe.split.group_column if recipe.split is not None else None
    state["bayes.rows_from"] = group if group in groups else ""


forms.put_loaded(KEY, load_recipe)  # the recipe of a job found by its link
forms.preset_picker(
    "bayes.preset",
    recipes.PRESETS,
    recipes.preset_title,
    apply_preset,
    apply_key="bayes.apply",
    label="Preset from the report's Table 2",
    help="Fills in the model, inference, priors and training size of one experiment.",
    icon=":material/playlist_add_check:",
)
a, b = st.columns([2, 1])
model = form_widget(KEY, FORM, "model", a, format_func=bayes.MODEL_TITLES.get)
inference = form_widget(KEY, FORM, "inference", b, format_func=bayes.INFERENCE_TITLES.get)
features = st.multiselect(
    "Features",
    dataset.numeric_columns,
    key="bayes.features",
    help="Missing values take the training mean; then StandardScaler.",
)
a, b, c, d = st.columns(4)
form_widget(KEY, bayes.ROW_PARAMS, "n_train", a)
form_widget(KEY, bayes.ROW_PARAMS, "n_test", b)
form_widget(KEY, bayes.BAYES_PARAMS, "seed", c)
d.selectbox(
    "Rows drawn from",
    ["", *groups],
    key="bayes.rows_from",
    format_func=lambda c: f"a split grouped by {c}" if c else "the whole table (report)",
    help="Grouped (the default where songs repeat): 70% of the groups (tracks, artists) give "
    "the training rows, the other 30% the test rows, so none sits on both sides. The whole "
    "table: the report's protocol.",
)
group = state["bayes.rows_from"] or None
forms.split_caption(
    SplitSpec.of("stratified") if group is None else SplitSpec.of("group", group), dataset
)

with st.expander("Priors and inference settings", icon=":material/tune:"):
    settings = [p.name for p in FORM if p.name in bayes.USED_BY]
    unused = {n: not {model, inference} & {*bayes.USED_BY[n]} for n in settings}
    param_grid(KEY, FORM, settings, disabled=unused)


def build_spec() -> recipes.BayesSpec:
    """The recipe of the form (raises DataError naming a bad setting)."""
    if not features:
        raise DataError("choose at least one feature.")
    values = read_params(KEY, bayes.BAYES_PARAMS, "Bayesian")
    seed = values.pop("seed")
    group = state["bayes.rows_from"] or None
    return recipes.BayesSpec(
        data=replace(job_panel.current_data_spec(dataset), features=tuple(features)),
        split=None if group is None else SplitSpec.of("group", group, test=0.3, seed=seed),
        params=values,
        seed=seed,
        **read_params(KEY, bayes.ROW_PARAMS),
    ).with_changes()


spec, problem = forms.built(build_spec)
job_panel.recipe_box(KEY, spec, load_recipe, kind="bayes")


def checked(spec: recipes.BayesSpec) -> recipes.BayesSpec:
    recipes.prepare_data(spec, spec.data.apply(dataset))  # too few rows: say so now, not later
    return spec


go_col, note_col = st.columns([1, 4], vertical_alignment="center")
forms.start_button(
    KEY,
    "Fit",
    spec,
    problem,
    prepare=checked,
    container=go_col,
    then=lambda _: state.update({"bayes.fitted_on": data_key}),
    dataset=dataset,
    source="bayes",
)
note_col.caption(
    "NUTS on 1,000 rows takes minutes on a shared CPU; SVI on 10,000 rows well under one."
)


def live(job: jobs.Job) -> None:
    text, share = recipes.live_status(job.events)
    st.progress(min(share, 1.0), text=text)
    svi = [e for e in job.events if e.get("stage") == "svi"]
    if svi:
        title = "SVI loss (−ELBO per row), every 10th step"
        figure = bayes_plots.elbo_figure([e["loss"] for e in svi], [e["step"] for e in svi], title)
        st.plotly_chart(
            figure, key=f"bayes.live.{len(svi)}", config=chart_config("bayes-live-loss")
        )
        st.caption("The loss falls while the approximation improves; flat means converged.")


outcome = job_panel.panel(KEY, live, stop_help="Stops at the next step; nothing is kept.")

# ---- results ------------------------------------------------------------------------------------
if outcome is None:
    st.info("No posterior yet: choose a model and press Fit.", icon=":material/info:")
elif state.get("bayes.fitted_on") != data_key:
    st.info(
        "The last fit was on another dataset or feature set; fit again to see results here.",
        icon=":material/info:",
    )
else:
    result = outcome.result
    fitted: bayes.BayesFit = result.fit
    data, predictions, comparison = result.data, result.predictions, result.comparison
    config = fitted.config
    st.header("Posterior")
    st.caption(
        f"{plain(bayes.MODEL_TITLES[config.model])}, {config.inference.upper()}, "
        f"{fitted.n_train:,} training rows, {len(data.y_test):,} test rows, "
        f"{len(next(iter(fitted.draws.values()))):,} posterior draws, {fitted.seconds:.1f} s."
    )
    bayes_row, point_row = comparison.iloc[0], comparison.iloc[1]
    low, high = result.evaluation.intervals["accuracy"]
    a, b, c, d = st.columns(4)
    a.metric(
        "Accuracy (posterior predictive)",
        f"{bayes_row['accuracy']:.1%}",
        f"{bayes_row['accuracy'] - point_row['accuracy']:+.1%} vs point estimate",
        help=f"95% interval (bootstrap over test rows): {low:.1%} to {high:.1%}.",
    )
    b.metric(
        "Log loss",
        f"{bayes_row['log_loss']:.3f}",
        f"{bayes_row['log_loss'] - point_row['log_loss']:+.3f} vs point estimate",
        delta_color="inverse",
    )
    c.metric("Training accuracy", f"{bayes_row['train_accuracy']:.1%}")
    d.metric("Chance (1 / genres)", f"{1 / len(data.classes):.1%}")
    report_buttons(outcome.run_ids, "bayes")
    bundle_button(next(iter(outcome.run_ids), None), "bayes.bundle")

    if config.inference == "svi":
        chart(bayes_plots.elbo_figure(fitted.elbo), None, "bayes.elbo", "bayes-loss")
        st.caption(
            f"The loss per step ({len(fitted.elbo):,} steps, "
            + (
                f"converged: the last 100 steps within {config.tol:g} of the 100 before)."
                if fitted.converged
                else "not converged: allow more steps or a larger learning rate)."
            )
        )
    else:
        st.subheader("NUTS diagnostics")
        st.dataframe(fitted.diagnostics.round(3), hide_index=True, key="bayes.diagnostics")
        worst = fitted.diagnostics["r_hat_max"].max()
        if worst > 1.05:
            st.warning(
                f"The largest R-hat is {worst:.2f}: the chains have not mixed, so intervals "
                "and accuracy from these draws are unreliable. Allow more warm-up.",
                icon=":material/warning:",
            )
        st.caption(
            "R-hat near 1 (below 1.05) means the chains agree; an effective sample "
            "size in the tens or more per value means the draws are usable."
        )

    if fitted.linear:
        st.subheader("Coefficients per genre")
        if state["bayes.forest_genre"] not in fitted.classes:
            state["bayes.forest_genre"] = fitted.classes[0]
        genre = st.selectbox("Genre", list(fitted.classes), key="bayes.forest_genre")
        forest = posterior.forest_table(fitted, genre)
        point = result.point[:, fitted.classes.index(genre)]
        chart(bayes_plots.forest_figure(forest, genre, point), None, "bayes.forest", "bayes-forest")
        st.caption(
            "A bar that crosses the dotted zero line: the data cannot tell whether the "
            "feature makes this genre more or less likely."
        )
    else:
        st.caption("A network has no per-feature coefficients; its weights have no meaning alone.")

    if config.model == "ard":
        st.subheader("Feature relevance (ARD)")
        relevance = bayes_plots.relevance_figure(posterior.relevance_table(fitted))
        chart(relevance, None, "bayes.relevance", "bayes-relevance")
        st.caption(
            "Features near zero barely differ between genres: the model has switched them off."
        )

    st.subheader("Uncertainty per track")
    correct = predictions.proba.argmax(1) == data.y_test
    chart(
        bayes_plots.entropy_figure(predictions.entropy, correct, len(data.classes)),
        None,
        "bayes.entropy",
        "bayes-entropy",
    )
    st.caption("Wrong predictions pile up at high entropy: the model is unsure where it errs.")
    st.markdown("**The most uncertain test tracks**")
    st.dataframe(
        result.uncertain,
        hide_index=True,
        key="bayes.uncertain",
        column_config={
            "probability": st.column_config.NumberColumn(format="%.2f"),
            "entropy": st.column_config.NumberColumn(format="%.3f"),
            "model_uncertainty": st.column_config.NumberColumn(
                "model uncertainty",
                format="%.3f",
                help="Mutual information: the part of the entropy that more training "
                "data would remove.",
            ),
        },
    )

    calibration_view(KEY, result.evaluation, config.model, entropy=predictions.entropy)

    st.subheader("Against the point-estimate logistic regression")
    st.dataframe(comparison.round(4), hide_index=True, key="bayes.comparison")
    st.caption(
        "The point estimate is the project's logistic regression with C = 25: the most "
        "probable coefficients under Model 1's N(0, 5) prior, one value each."
    )
    if fitted.linear:
        mean = posterior.centred_coefficients(fitted).mean(0)
        scatter = bayes_plots.comparison_scatter(mean, result.point, fitted.features, data.classes)
        chart(scatter, None, "bayes.scatter", "bayes-shrinkage")
        st.caption(
            "Points flatter than the dotted diagonal: the prior pulled the posterior's "
            "coefficients towards zero harder than the point estimate's penalty did."
        )

    with st.expander(
        "Ancestral sampling from the prior (the report's §6.1)", icon=":material/casino:"
    ):
        chart(
            bayes_plots.prior_figure(result.prior_accuracy, 1 / len(data.classes)),
            None,
            "bayes.prior",
            "bayes-prior",
        )
        st.caption(
            "Models drawn from the prior, before seeing data, guess at chance: all the "
            "accuracy above comes from the data."
        )

# ---- the report's experiments: a second job ----------------------------------------------------
TABLES = "bayes.tables"
st.header("The report's experiments")
st.caption(
    "Table 2 of the report on this dataset, ours next to theirs, each experiment scored on the "
    "report's small test set and on 2,000 held-out rows; and test accuracy against the "
    "training-set size. The music-genre-11 dataset is the report's."
)
chosen_ids = st.multiselect(
    "Experiments",
    recipes.PRESETS,
    key="bayes.table2_ids",
    format_func=recipes.preset_title,
    help="6 (10,000 rows) takes about a minute; 10 (NUTS) several minutes.",
)


def start_tables(table: str) -> None:
    try:
        if not features:
            raise DataError("choose at least one feature.")
        recipe = bayes_tables.TablesSpec(
            data=replace(job_panel.current_data_spec(dataset), features=tuple(features)),
            table=table,
            experiments=tuple(chosen_ids),
            seed=int(state["bayes.seed"]),
        ).with_changes()
        bayes_tables.check_size(recipe, len(frame))
    except DataError as error:
        show_error(str(error))
        return
    job_panel.start(TABLES, recipe, dataset=dataset)
    st.rerun()


a, b, _ = st.columns([1, 1, 3])
busy = job_panel.running(TABLES)
if a.button("Run Table 2", key="bayes.run_table2", disabled=busy, icon=":material/table_chart:"):
    start_tables("table2")
if b.button(
    "Run the size curve", key="bayes.run_curve", disabled=busy, icon=":material/show_chart:"
):
    start_tables("curve")


def tables_live(job: jobs.Job) -> None:
    text, share = bayes_tables.live_status(job.events)
    st.progress(share, text=f"Running {text}")


found = job_panel.panel(TABLES, tables_live)
if found is not None:
    state["bayes.experiments"] = {**(state["bayes.experiments"] or {}), **found.result}
tables = state["bayes.experiments"] or {}
if tables.get("table2") is not None:
    st.dataframe(
        bayes_tables.table2_view(tables["table2"]).round(2), hide_index=True, key="bayes.table2"
    )
    st.caption(
        "Compare 'report test %' with both of ours: on 200 rows one track is half a point, "
        "so differences under ~7 points are noise."
    )
if tables.get("curve") is not None:
    chart(bayes_plots.size_curve_figure(tables["curve"]), None, "bayes.curve", "bayes-size-curve")
    st.caption(
        "Accuracy climbs with more training rows and flattens: the models, not the data, "
        "set the ceiling."
    )
