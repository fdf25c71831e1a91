"""Where thesislab differs from the 2019 thesis (`NatGr/Master_Thesis`, commit c06b1c6): one table.

Each row says what the thesis did (and in which of its files, at which lines), what thesislab does
by default, how to get the thesis's behaviour back (a preset or option) or why that is not built,
and whether the difference moves accuracy, latency or both. The site's "Differences from the
thesis" page is this table; nothing else lists them.

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
    """The thesis files and lines that show it: ``FILE:LINES`` joined by ", " (a file's lines
    joined by ","; ranges as ``A-B``)."""
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
        source="T/train_save.py:108, T/models/commons.py:7-27,83-94, T/models/nasnet.py:52-56, "
        "T/models/effnet.py:10",
        thesislab="1e-4 added to the gradient of every kernel of two or more dimensions",
        reproduce="recipe thesis2019 (weight_decay 2e-4, weight_decay_scope thesis2019)",
        reason="the scope decays every batch norm and convolution kernel: NASNet's cell batch "
        "norms and EffNet's stem, which the thesis left undecayed, are decayed",
    ),
    Difference(
        topic="Batch normalisation",
        thesis="momentum 0.99, epsilon 1e-3 (NASNet cells 0.9 and 1e-5)",
        source="T/models/commons.py:10, T/models/nasnet.py:12-13",
        thesislab="momentum 0.9 (PyTorch's 0.1 in Keras's convention) and epsilon 1e-3 everywhere",
        reproduce="recipe thesis2019 (bn_momentum 0.99, bn_epsilon 1e-3)",
        reason="the recipe sets one momentum and epsilon for every batch norm: NASNet's cells get "
        "0.99 and 1e-3 too; networks rebuilt by pruning take the zoo's defaults",
    ),
    Difference(
        topic="Random crops",
        thesis="crops of a 40×40 reflect-101 padded image at offsets 0..7 (shifts −4..+3); "
        "Crowley et al.'s pruning phase cropped zero-padded images",
        source="T/KDDataGenerator.py:48,84-99, P/prune.py:91-96",
        thesislab="reflect-padded crops with shifts −4..+4",
        reproduce="recipe thesis2019 (crop_offsets exclusive); fisher setting crop_fill=zeros",
    ),
    Difference(
        topic="Precision",
        thesis="float32 throughout",
        source="T/train_save.py:227-233, P/train.py:226-227, M/cifar10.py:45",
        thesislab="auto: bfloat16 on a GPU, float32 elsewhere",
        reproduce="any thesis recipe preset (precision float32)",
    ),
    Difference(
        topic="Epoch length",
        thesis="every image once an epoch, the last batch short: 391 steps of 50,000 images at "
        "batch 128 (MorphNet: 391 full batches from its input queue)",
        source="T/KDDataGenerator.py:57-59, P/train.py:174-176, M/cifar10.py:58",
        thesislab="full batches only: 390 steps, the 80 images left over skipped (a new shuffle "
        "each epoch)",
        reproduce="any thesis recipe preset (last_batch keep)",
    ),
    Difference(
        topic="PyTorch recipe of the pruning study",
        thesis="SGD momentum 0.9 without Nesterov, weight decay 5e-4 on every parameter, "
        "learning rate 0.1 × 0.2 at epochs 60, 120 and 160, batch 128, 200 epochs",
        source="P/train.py:22-30,226-230, N/train.py:22-31,67-72",
        thesislab="the Keras recipe (Nesterov, cosine schedule, decay 1e-4 on kernels)",
        reproduce="recipe thesis2019-pytorch",
        reason="PyTorch's batch norm (momentum 0.1, epsilon 1e-5) and crops (shifts −4..+4) "
        "are matched; N/'s 90 % training split is validation_size 5000",
    ),
    Difference(
        topic="MorphNet recipe",
        thesis="plain SGD without momentum or weight decay, learning rate 0.1 × 0.2 every 53 "
        "epochs, 200 epochs from scratch, images standardised one by one",
        source="M/cifar10.py:46-48,137-157, M/cifar10_input.py:163",
        thesislab="MorphNet regularises a trained network for a number of steps at 0.01",
        reproduce="recipe morphnet2019",
        reason="MorphNet's from_scratch setting trains under the parent's recipe (this one for "
        "the thesis's runs); per-image standardisation of the inputs is not reproduced: the "
        "recipe's channel statistics normalise them",
    ),
    Difference(
        topic="Fine-tuning recipe",
        thesis="PyTorch SGD at 8e-4, momentum 0.9 without Nesterov, weight decay 5e-4 on every "
        "parameter (biases and batch norms included)",
        source="N/prune.py:23-32,85-87,187-191",
        thesislab="20 epochs at a constant 8e-4 with Nesterov momentum, decay 5e-4 on kernels",
        reproduce="prune stage fine_tune_recipe {preset: thesis2019-fine-tuning}",
        reason="the length of the thesis's fine-tuning (--long_term_fine_tune batches) is not "
        "recorded in its repository: 20 epochs here",
    ),
    Difference(
        topic="Latency protocol",
        thesis="benchmark_model's defaults: at least 50 timed runs and 1 s, at least one "
        "warm-up run and 0.5 s, one thread; three shuffled passes with 10 s before each call",
        source="T/benchmarks_tf_lite_file.sh:26-31,53-60",
        thesislab="the quick protocol (10 warm-up and 100 timed runs, no minimum time, two passes)",
        reproduce="protocol thesis2019 (thesislab bench --protocol thesis2019)",
        reason="the imported 2019 measurements keep the preset as first recorded, without its "
        "least durations, so that their ids stay the same",
        effect="latency",
    ),
    Difference(
        topic="Runtime",
        thesis="TFLite's C++ benchmark_model binary on the device",
        source="T/benchmarks_tf_lite_file.sh:28-31",
        thesislab="the LiteRT interpreter in Python, one fresh process a call (device local)",
        reproduce="a device with runtime benchmark_model (thesislab devices add NAME --runtime "
        "benchmark_model --benchmark-model PATH)",
        reason="the local device every shipped study measures on runs LiteRT in Python",
        effect="latency",
    ),
    Difference(
        topic="Latency figure plotted",
        thesis="the mean of the three passes' means",
        source="T/benchmarks_tf_lite_file.sh:37,63-66",
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
        source="T/benchmarks_tf_lite_file.sh:28-31, N/compute_table.py:23, "
        "N/utils/compute_table/measure_fcts.py:29",
        thesislab="the import labels every 2019 latency with one runtime and protocol",
        reproduce=None,
        reason="relabelling would change the ids of the committed imported records",
        effect="latency",
    ),
    Difference(
        topic="Input normalisation in the deployed graph",
        thesis="images normalised before the TFLite graph",
        source="T/KDDataGenerator.py:37-41, T/posttrain_quantize_model.py:22-24,33",
        thesislab="the graph is the model-zoo network alone; the caller normalises images with "
        "the statistics the artifact record holds (input_normalisation 'outside')",
        reproduce="default (thesislab convert)",
        reason="artifacts converted earlier (input_normalisation 'in_graph') keep SUB/MUL ops "
        "before the first convolution; the trained Keras model still normalises in its first "
        "layer",
        effect="latency",
    ),
    Difference(
        topic="Quantization",
        thesis="full int8 with uint8 input and output, calibrated on all 50,000 training images "
        "in their order; the int8 MobileNetV1 d15_w32 and d12_w64 were students distilled from "
        "MobileNetV1 d15_w100",
        source="T/posttrain_quantize_model.py:27-39, T/quantized_archs.csv:2-3",
        thesislab="int8 input and output, calibrated on a random draw of 1,000 training images "
        "(200 in a study's convert stage)",
        reproduce="thesislab convert --int8-io uint8; a study's convert stage int8_io uint8, "
        "representative_size 50000 (experiments/quantization.yaml, with its distilled students)",
        reason="today's TFLite converter quantizes, not the June 2019 tf-nightly one",
        effect="both",
    ),
    Difference(
        topic="ShuffleNetV1 grouped convolution",
        thesis="channel slices, one Conv2D each, concatenated; the last group takes the "
        "leftover channels",
        source="T/models/commons.py:30-58",
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
        source="N/prune.py:99-100,113-146,183, N/models/wideresnet.py:320-350, N/train.py:59",
        thesislab="targets as a limit on latency, MACs, parameters or channels, the last "
        "clamped; savings at least the reduction; any removable layer may go to zero; momentum "
        "carried over; L2 criterion; pre-activation WRN",
        reproduce="netadapt variant=thesis2019 with a target {latency: 1 − pf, device: D}, on "
        "wideresnet block=postact, all_prunable=true trained with recipe thesis2019-pytorch and "
        "validation_size 5000 (as in experiments/pruning.yaml)",
        reason="a tied layer's Fisher saliency is that of one shared mask, not the mean over its "
        "blocks; the thesis's double fine-tuning (ft=700_100: 700 batches, then 100 for the "
        "Fisher values) is one fine-tuning of 700 batches; its hold-out evaluations ran one "
        "backward pass of their last batch (validate(memory_leak=True), N/prune.py:97,146 and "
        "N/utils/training_fcts.py:60-61), which added that batch to the Fisher sums: not "
        "reproduced",
        effect="both",
    ),
    Difference(
        topic="Fisher pruning",
        thesis="block-internal channels only, one removed every 100 steps at lr 8e-4 and decay "
        "5e-4, no cost normalisation (P/); the table-driven variant divides the Fisher value, "
        "averaged over tied layers, by the channel's latency saving, negative savings included "
        "(N/fisher_prune.py); targets as channel counts (150 to 1,100 removed)",
        source="P/prune.py:25-29,184-185, P/funcs.py:24-30, N/fisher_prune.py:90-111, "
        "N/models/wideresnet.py:73-109,284-300",
        thesislab="every prunable channel, a tied layer scored by its shared mask, savings of "
        "zero or less never chosen; targets as a limit on a cost",
        reproduce="fisher layers=block_internal crop_fill=zeros (P/); fisher normalize=latency_ms "
        "tied=mean negative_savings=divide freeze_pruned=true channels_removed=N on wideresnet "
        "all_prunable=true (N/)",
        reason="a tied layer's mean is over the places its channels enter a convolution, not "
        "over the layers producing them; savings come from thesislab's table; a channel-count "
        "run is its own run, with a target the count meets (e.g. channels=0.99)",
        effect="both",
    ),
    Difference(
        topic="Table-driven Fisher pruning: what keeps training",
        thesis="each removal rebuilt the layers it narrowed (those producing the channel, its "
        "batch norms, those it enters), and the optimiser made once before the first removal "
        "never saw their new weights: a layer stopped training at its first narrowing (72.4 % "
        "error after 1,100 removals)",
        source="N/fisher_prune.py:77-78,95-97, N/models/wideresnet.py:409-523, "
        "N/pruning_methods.csv:47",
        thesislab="every weight trains on through the channel masks",
        reproduce="fisher freeze_pruned=true (as in experiments/pruning.yaml)",
        reason="the rebuilt classifier shared its bias with the old one, which the optimiser "
        "kept moving by weight decay and momentum alone (N/models/wideresnet.py:476-479); here "
        "the bias trains on",
        effect="accuracy",
    ),
    Difference(
        topic="Lookup-table prices in the pruning scripts",
        thesis="a block's first convolution priced from the stride-1 table of its stage "
        "(No_Stride_x, where the first block strides), the stem from its 2-input-channel row, "
        "and a one-channel layer's saving from cost_array[-2], the table's last entry",
        source="N/models/wideresnet.py:86,357,399-405",
        thesislab="every layer priced from its own entry, the stem from its 3 input channels, a "
        "layer's last channel from the difference to its removal",
        reproduce=None,
        reason="slips of the 2019 pruning scripts; thesislab's tables price the networks as "
        "they are",
        effect="both",
    ),
    Difference(
        topic="MorphNet",
        thesis="GroupLasso FLOP regulariser trained from scratch for 200 epochs, strength 5e-8, "
        "threshold 1e-3, widths read off directly; the second pass trained a fresh network of "
        "the first pass's widths × 1.8 (rounded down, not capped) under the regulariser again; "
        "the regulariser's FLOP weights recomputed every step from the alive channels",
        source="M/cifar10_train.py:37-46,66-79,93-114, M/cifar10.py:134, "
        "M/network_regularizers/bilinear_cost_utils.py:123-166",
        thesislab="regularised fine-tuning of a trained network (batch-norm scales), widths "
        "matched to the budget",
        reproduce="morphnet regularizer=group_lasso weights=flops resource=macs strength=5e-8 "
        "threshold=1e-3 from_scratch=true factor=1, on a parent trained with recipe "
        "morphnet2019; the second pass a prune stage starting from the first's (start) with "
        "widen=1.8",
        reason="the penalty's weights are recomputed every update_every steps (default 100), "
        "not every step; with `factor` set the widths are read off as they are, so the result "
        "may miss the stage's target (the thesis had none)",
        effect="both",
    ),
    Difference(
        topic="Lookup tables",
        thesis="every (in, out) channel pair from 1 to the maximum, each entry a conv+BN+ReLU "
        "model (dense: average pool + dense), 11 runs, mean, no smoothing",
        source="N/compute_table.py:23, N/utils/compute_table/wideresnet_table.py:60-118, "
        "N/utils/compute_table/measure_fcts.py:14-35",
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
        thesis="every pruned channel configuration retrained from scratch on all 50,000 images "
        "with the PyTorch recipe, MorphNet's too, as the pre-activation WRN of those channels "
        "(WideResNetAllLayersPrunable), and timed as the pre-activation Keras network",
        source="P/train.py:82-93, P/script.sh:8, P/models/wideresnet_all_layers_prunable.py:9-38, "
        "T/train_save.py:116-127",
        thesislab="retrained as the pruned network itself, with the recipe and seed that "
        "trained its parent, validation_size 0",
        reproduce="prune stage retrain_params {block: preact}, and retrain_recipe {preset: "
        "thesis2019-pytorch} for MorphNet's (as in experiments/pruning.yaml)",
        reason="the pruned and fine-tuned stages keep the post-activation network their "
        "weights belong to, and are timed as it; the thesis timed every stage of a run as the "
        "pre-activation network of its channels",
        effect="both",
    ),
    Difference(
        topic="Pruning study",
        thesis="the runs of pruning_methods.csv: NetAdapt at pf 0.4-0.6 with decay 0.98, Fisher "
        "with channel targets, MorphNet, random and uniform, and the unpruned network",
        source="N/pruning_methods.csv:2-103",
        thesislab="a study names its pruning targets as limits on latency, MACs, parameters or "
        "channels; the pruning study is the thesis's runs, on this machine's lookup tables",
        reproduce="experiments/pruning.yaml: one named prune stage per run of "
        "pruning_methods.csv, seed repeats as seeds, the entry `unpruned` training the unpruned "
        "network",
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
        source="CondenseNet/layers.py:12-60, CondenseNet/script.sh:4",
        thesislab="the condensed architecture trained directly as fixed group convolutions",
        reproduce=None,
        reason="condensation during training is not built",
    ),
)
"""Every difference left, in the order of the pipeline: training, measurement, pruning."""
