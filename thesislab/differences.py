"""Where thesislab differs from the 2019 thesis (`NatGr/Master_Thesis`, commit c06b1c6): one table.

Each row says what the thesis did (and in which of its files), what thesislab does by default, how
to get the thesis's behaviour back (a preset or option) or why that is not built, and whether the
difference moves accuracy, latency or both. The site's "Differences from the thesis" page is this
table; nothing else lists them.

Paths are the thesis repository's: T/ = `training_from_scratch/`, N/ = `NetAdapt/`,
P/ = `pytorch-prunes/`, M/ = `morph_net/`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Effect = Literal["accuracy", "latency", "both"]


@dataclass(frozen=True)
class Difference:
    """One way thesislab's default differs from what the thesis ran."""

    topic: str
    thesis: str
    source: str
    """The thesis files that show it."""
    thesislab: str
    reproduce: str | None
    """The preset or option that reproduces the thesis; None where that is not built."""
    reason: str = ""
    """Why it is not built (with `reproduce` None), or what remains different."""
    effect: Effect = "accuracy"


DIFFERENCES: tuple[Difference, ...] = (
    Difference(
        topic="Weight decay",
        thesis="l2(1e-4) added to the loss on conv and dense kernels, dense biases, SE layers and "
        "batch-norm γ/β; none on depthwise kernels (Keras ignored the regulariser there), on "
        "NASNet's separable convolutions or on EffNet's stem",
        source="T/train_save.py, T/models/commons.py",
        thesislab="1e-4 added to the gradient of every kernel of two or more dimensions",
        reproduce="recipe thesis2019 (weight_decay 2e-4, weight_decay_scope thesis2019)",
        reason="the scope decays every batch norm and convolution kernel: NASNet's cell batch "
        "norms and EffNet's stem, which the thesis left undecayed, are decayed",
    ),
    Difference(
        topic="Batch normalisation",
        thesis="momentum 0.99, epsilon 1e-3 (NASNet cells 0.9 and 1e-5)",
        source="T/models/commons.py, T/models/nasnet.py",
        thesislab="momentum 0.9 (PyTorch's 0.1 in Keras's convention) and epsilon 1e-3 everywhere",
        reproduce="recipe thesis2019 (bn_momentum 0.99, bn_epsilon 1e-3)",
        reason="the recipe sets one momentum and epsilon for every batch norm: NASNet's cells get "
        "0.99 and 1e-3 too; networks rebuilt by pruning take the zoo's defaults",
    ),
    Difference(
        topic="Random crops",
        thesis="crops of a 40×40 reflect-101 padded image at offsets 0..7 (shifts −4..+3)",
        source="T/train_save.py",
        thesislab="reflect-padded crops with shifts −4..+4",
        reproduce="recipe thesis2019 (crop_offsets exclusive)",
    ),
    Difference(
        topic="PyTorch recipe of the pruning study",
        thesis="SGD momentum 0.9 without Nesterov, weight decay 5e-4 on every parameter, "
        "learning rate 0.1 × 0.2 at epochs 60, 120 and 160, batch 128, 200 epochs",
        source="P/train.py, N/train.py",
        thesislab="the Keras recipe (Nesterov, cosine schedule, decay 1e-4 on kernels)",
        reproduce="recipe thesis2019-pytorch",
        reason="PyTorch's batch norm (momentum 0.1, epsilon 1e-5) and crops (shifts −4..+4) "
        "are matched; N/'s 90 % training split is validation_size 5000",
    ),
    Difference(
        topic="MorphNet recipe",
        thesis="plain SGD without momentum or weight decay, learning rate 0.1 × 0.2 every 53 "
        "epochs, 200 epochs from scratch",
        source="M/cifar10.py",
        thesislab="MorphNet regularises a trained network for a number of steps at 0.01",
        reproduce="recipe morphnet2019",
        reason="MorphNet's from_scratch setting trains under the parent's recipe (this one for "
        "the thesis's runs); per-image standardisation of the inputs is not reproduced",
    ),
    Difference(
        topic="Latency protocol",
        thesis="benchmark_model's defaults: at least 50 timed runs and 1 s, at least one "
        "warm-up run and 0.5 s, one thread; three shuffled passes with 10 s before each call",
        source="T/benchmarks_tf_lite_file.sh",
        thesislab="the quick protocol (10 warm-up and 100 timed runs, no minimum time, two passes)",
        reproduce="protocol thesis2019 (thesislab bench --protocol thesis2019)",
        reason="the imported 2019 measurements keep the preset as first recorded, without its "
        "least durations, so that their ids stay the same",
        effect="latency",
    ),
    Difference(
        topic="Latency figure plotted",
        thesis="the mean of the three passes' means",
        source="T/benchmarks_tf_lite_file.sh",
        thesislab="charts and tables plot the statistic the protocol names, of every timed run "
        "where the runtime reports runs one by one: the median (robust to a busy machine), or "
        "the 5th percentile for lookup tables and their checks (protocol lut); else the mean of "
        "the pass means",
        reproduce=None,
        reason="every measurement records both: the thesis's figure is its mean_ms, shown on "
        "each model page beside the median and the 5th percentile",
        effect="latency",
    ),
    Difference(
        topic="Imported runtime labels",
        thesis="quantized networks ran on a tf-lite-nightly benchmark binary; lookup-table "
        "predictions (table_time) come from 11 runs, mean, no minimum time",
        source="T/benchmarks_tf_lite_file.sh, N/utils/compute_table/",
        thesislab="the import labels every 2019 latency with one runtime and protocol",
        reproduce=None,
        reason="relabelling would change the ids of the committed imported records",
        effect="latency",
    ),
    Difference(
        topic="Input normalisation in the deployed graph",
        thesis="images normalised before the TFLite graph",
        source="T/train_save.py, T/benchmarks_tf_lite_file.sh",
        thesislab="the graph is the model-zoo network alone; the caller normalises images with "
        "the statistics the artifact record holds (input_normalisation 'outside')",
        reproduce="default (thesislab convert)",
        reason="artifacts converted earlier (input_normalisation 'in_graph') keep SUB/MUL ops "
        "before the first convolution; the trained Keras model still normalises in its first "
        "layer",
        effect="latency",
    ),
    Difference(
        topic="ShuffleNetV1 grouped convolution",
        thesis="channel slices, one Conv2D each, concatenated; the last group takes the "
        "leftover channels",
        source="T/models/commons.py",
        thesislab="one Conv2D with groups=g: the same function, another TFLite graph",
        reproduce="shufflenetv1 parameter grouped_conv: slices",
        effect="latency",
    ),
    Difference(
        topic="NetAdapt",
        thesis="targets as latency fractions (pf·L/init_red_fact, then × decay rate, the last "
        "not clamped); the fewest channels whose saving exceeds the reduction, down to one; "
        "only a block's first conv removes its block; each proposal fine-tuned 100 batches with "
        "a fresh SGD optimiser; the searched network a post-activation WRN-40-2 trained on 90 % "
        "of the data with the PyTorch recipe",
        source="N/prune.py, N/models/wideresnet.py",
        thesislab="targets as a limit on latency, MACs, parameters or channels, the last "
        "clamped; savings at least the reduction; any removable layer may go to zero; momentum "
        "carried over; L2 criterion; pre-activation WRN",
        reproduce="netadapt variant=thesis2019 with a target {latency: 1 − pf, device: D}, on "
        "wideresnet block=postact, all_prunable=true trained with recipe thesis2019-pytorch and "
        "validation_size 5000 (as in experiments/pruning.yaml)",
        reason="a tied layer's Fisher saliency is that of one shared mask, not the mean over its "
        "blocks; the thesis's double fine-tuning (ft=700_100: 700 batches, then 100 for the "
        "Fisher values) is one fine-tuning of 700 batches",
        effect="both",
    ),
    Difference(
        topic="Fisher pruning",
        thesis="block-internal channels only, one removed every 100 steps at lr 8e-4 and decay "
        "5e-4, no cost normalisation (P/); the table-driven variant divides the Fisher value, "
        "averaged over tied layers, by the channel's latency saving, negative savings included "
        "(N/fisher_prune.py); targets as channel counts (150 to 1,100 removed)",
        source="P/prune.py, P/funcs.py, N/fisher_prune.py, N/models/wideresnet.py",
        thesislab="every prunable channel, a tied layer scored by its shared mask, savings of "
        "zero or less never chosen; targets as a limit on a cost",
        reproduce="fisher layers=block_internal (P/); fisher normalize=latency_ms tied=mean "
        "negative_savings=divide channels_removed=N on wideresnet all_prunable=true (N/)",
        reason="a tied layer's mean is over the places its channels enter a convolution, not "
        "over the layers producing them; savings come from thesislab's table; a channel-count "
        "run is its own run, with a target the count meets (e.g. channels=0.99)",
        effect="both",
    ),
    Difference(
        topic="MorphNet",
        thesis="GroupLasso FLOP regulariser trained from scratch for 200 epochs, strength 5e-8, "
        "threshold 1e-3, widths read off directly, an optional ×1.8 second pass",
        source="M/cifar10_train.py, M/network_regularizers/flop_regularizer.py",
        thesislab="regularised fine-tuning of a trained network (batch-norm scales), widths "
        "matched to the budget",
        reproduce="morphnet regularizer=group_lasso weights=flops resource=macs strength=5e-8 "
        "threshold=1e-3 from_scratch=true factor=1 (1.8: the second pass's widths), on a parent "
        "trained with recipe morphnet2019",
        reason="widths ×1.8 are capped at the starting widths; with `factor` set the widths are "
        "read off as they are, so the result may miss the stage's target (the thesis had none)",
        effect="both",
    ),
    Difference(
        topic="Lookup tables",
        thesis="every (in, out) channel pair from 1 to the maximum, each entry a conv+BN+ReLU "
        "model (dense: average pool + dense), 11 runs, mean, no smoothing",
        source="N/utils/compute_table/",
        thesislab="a sparse grid of widths, interpolated, Gaussian-smoothed; the median ratio "
        "of each layer's runs to the unpruned network's run after each, times that network's "
        "latency (protocol lut: the ratio holds where a shared machine's speed does not); other "
        "layers calibrated by least squares on the measured unpruned network and eight random "
        "pruned ones",
        reproduce="thesislab lut build --variant thesis2019",
        reason="a fixed input axis (the stem's 3 channels) is measured at that count only; the "
        "models are converted by today's TFLite converter and run by LiteRT",
        effect="latency",
    ),
    Difference(
        topic="Retraining pruned networks",
        thesis="retrained from scratch with the recipe that trained the parent (the PyTorch "
        "recipe for WRN-40-2), on all 50,000 images",
        source="P/train.py",
        thesislab="retrained with the recipe and seed that trained the parent, validation_size 0",
        reproduce="default (a study's retrain stage)",
        reason="the parent's recipe is its study entry's: recipe thesis2019-pytorch for WRN-40-2",
    ),
    Difference(
        topic="Pruning study",
        thesis="the runs of pruning_methods.csv: NetAdapt at pf 0.4-0.6 with decay 0.98, Fisher "
        "with channel targets, MorphNet, random and uniform",
        source="pruning_methods.csv",
        thesislab="a study names its pruning targets as limits on latency, MACs, parameters or "
        "channels; the pruning study is the thesis's runs, on this machine's lookup tables",
        reproduce="experiments/pruning.yaml: one named prune stage per run of "
        "pruning_methods.csv, seed repeats as seeds",
        reason="runs the thesis made once are made for every seed of their parent; MorphNet's "
        "from-scratch runs still train the parent first; the table-driven Fisher runs stop at "
        "their channel count instead of saving snapshots of one run; M/'s network is taken as "
        "the post-activation WRN-40-2; the study measures on `local`, not the Raspberry Pi 3B, "
        "and its lookup tables are built beforehand (`thesislab lut build --variant "
        "thesis2019`, as the study file says), not by a stage of the study",
        effect="both",
    ),
    Difference(
        topic="CondenseNet",
        thesis="learned group convolutions condensed during 300 epochs of training",
        source="CondenseNet/models/condensenet.py",
        thesislab="the condensed architecture trained directly as fixed group convolutions",
        reproduce=None,
        reason="condensation during training is not built",
    ),
)
"""Every difference left, in the order of the pipeline: training, measurement, pruning."""
