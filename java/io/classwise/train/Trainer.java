package io.classwise.train;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.classwise.attack.Pgd;
import io.classwise.data.DatasetId;
import io.classwise.data.ImageDataset;
import io.classwise.data.SubsetDataset;
import io.classwise.data.pipeline.Batch;
import io.classwise.data.pipeline.BatchLoader;
import io.classwise.data.pipeline.Transforms;
import io.classwise.nn.LrSchedule;
import io.classwise.nn.Model;
import io.classwise.nn.Models;
import io.classwise.nn.Sgd;
import io.classwise.nn.Tape;
import io.classwise.nn.checkpoint.Checkpoint;
import io.classwise.nn.checkpoint.NonFiniteWeightsException;
import io.classwise.nn.checkpoint.TrainingState;
import io.classwise.tensor.Backend;
import io.classwise.tensor.Tensor;
import io.classwise.util.AtomicFiles;
import io.classwise.util.CommittedState;
import io.classwise.util.FileTrees;
import io.classwise.util.Rng;
import me.tongfei.progressbar.ConsoleProgressBarConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * The epoch loop shared by every method: batches → (attack) → loss → SGD, per-class accuracy of
 * what was trained on, a test evaluation (clean and PGD) per class at the end of each epoch, one
 * metrics.jsonl line, and a checkpoint. Every random choice is a function of (seed, epoch, …), so a
 * run resumed from epoch e's checkpoint continues exactly as the uninterrupted run would.
 */
public final class Trainer {
    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(Trainer.class);

    private static final ObjectMapper JSON = new ObjectMapper();

    private final TrainConfig cfg;
    private final Method method;
    private final Backend b;
    private final DatasetId datasetId;
    private final ImageDataset train, test;
    /** The split held out of the training set for a class-aware policy's measurements; null when none is needed. */
    private final ImageDataset validation;
    /** FRL / CFA / DAFA's policy; null: the configuration's static per-class plan (if any). */
    private final ClassPolicy policy;
    /** The plan of the epoch being run (or last run). */
    private ClassPlan plan = ClassPlan.UNIFORM;
    /** Epochs trained into the model so far, and the validation result cached for that state. */
    private int trainedEpochs = -1, validatedAt = -2;
    private ClassAccuracy[] validated;
    private final RunDirectory run;
    private final PrintStream log;
    private final boolean progress;
    private final Model model;
    private final Sgd sgd;
    private final LrSchedule schedule;
    private boolean overwrite;
    private String announcement;

    public Trainer(TrainConfig cfg, Backend backend, DatasetId datasetId, ImageDataset train, ImageDataset test,
                   RunDirectory run, PrintStream log, boolean progress) {
        cfg.validate();
        this.cfg = cfg;
        this.method = cfg.methodEnum();
        this.b = backend;
        this.datasetId = datasetId;
        ImageDataset used = cfg.trainExamples > 0 ? SubsetDataset.balanced(train, Math.max(1, cfg.trainExamples / train.numClasses()),
                cfg.seed, "--train-examples") : train;
        for (int c : cfg.removeClasses) {
            if (c >= train.numClasses()) throw new IllegalArgumentException("removeClasses: class " + c + " does not exist (" + train.numClasses()
                    + " classes)");
        }
        if (!cfg.removeClasses.isEmpty()) used = SubsetDataset.withoutClasses(used, new java.util.TreeSet<>(cfg.removeClasses));
        this.policy = ClassPolicy.of(method, cfg, used.numClasses());
        if (policy != null && policy.needsValidation()) {
            SubsetDataset[] split = SubsetDataset.heldOut(used, cfg.validationFraction, cfg.seed + 5);
            this.train = split[0];
            this.validation = split[1];
        } else {
            this.train = used;
            this.validation = null;
        }
        ImageDataset evaluated = cfg.evalExamples > 0 ? SubsetDataset.balanced(test, Math.max(1, cfg.evalExamples / test.numClasses()),
                cfg.seed + 1, "--eval-examples") : test;
        this.test = cfg.removeClasses.isEmpty() ? evaluated : SubsetDataset.withoutClasses(evaluated, new java.util.TreeSet<>(cfg.removeClasses));
        this.run = run;
        this.log = log;
        this.progress = progress;
        Models.Spec spec = new Models.Spec(cfg.architecture, this.train.numClasses(), datasetId.inputShape(), datasetId.mean(), datasetId.std(),
                method == Method.HE ? (float) cfg.heScale : 0f);
        this.model = Models.create(backend, spec, cfg.seed);
        this.sgd = new Sgd(model.parameters(), (float) cfg.momentum, 0f, (float) cfg.weightDecay, cfg.nesterov);
        this.schedule = cfg.lrSchedule();
    }

    public Model model() { return model; }

    /** Trains from scratch, or from the last checkpoint with resume; returns the metrics of the epochs run now. */
    public List<EpochMetrics> fit(boolean resume) throws IOException { return fit(resume, cfg.epochs); }

    /**
     * As {@link #fit(boolean)} but stops after epoch {@code stopAfter} (the schedule still spans all
     * epochs), leaving a checkpoint that {@code --resume} continues from.
     */
    public List<EpochMetrics> fit(boolean resume, int stopAfter) throws IOException {
        // Checked before the lock creates anything: a refused run leaves the directory as it was.
        if (!resume) checkFreshDirectory();
        try (RunLock lock = RunLock.acquire(run.root())) {
            return fitLocked(resume, stopAfter);
        }
    }

    /** A line printed once the run holds its directory and its checks passed (a refused run prints nothing but the refusal). */
    public Trainer announce(String line) {
        this.announcement = line;
        return this;
    }

    /**
     * With overwrite, a non-empty run directory is cleared before a fresh run; without it, a fresh run
     * into a non-empty directory is refused (it would mix two runs' files).
     */
    public Trainer overwrite(boolean overwrite) {
        this.overwrite = overwrite;
        return this;
    }

    private List<EpochMetrics> fitLocked(boolean resume, int stopAfter) throws IOException {
        int start = 1;
        EpochCommit.Committed committed = null;
        if (resume) {
            int removed = AtomicFiles.removeTemporaries(run.root()) + AtomicFiles.removeTemporaries(run.checkpoints());
            if (removed > 0) LOG.info("{}: removed {} temporary file(s) left by an interrupted run", run.root(), removed);
            if (!Files.exists(run.config())) throw new IOException(run.root()
                    + ": nothing to resume (no config.json: not a run directory)");
            committed = EpochCommit.newest(run);
            JsonNode onDisk = JSON.readTree(run.config().toFile());
            String changed = committed == null ? null : RunManifest.configChange(committed.manifest(), onDisk);
            if (changed != null) {
                throw new IllegalStateException(run.config() + " was changed after epoch " + committed.epoch() + " was committed (" + changed
                        + "); the committed epochs were trained with the first value. Restore it, or start a new run");
            }
            if (onDisk.path("epochs").asInt() != cfg.epochs) {
                // A longer run (the one change resume may make to the recipe), written only now that every check passed.
                AtomicFiles.write(run.config(), out -> out.write(JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(cfg)));
            }
            if (committed == null) {
                LOG.warn("{}: no epoch was committed before the run stopped; starting again from epoch 1", run.root());
                Files.createDirectories(run.checkpoints());
                trimMetrics(0);
            } else {
                Checkpoint.loadInto(model, committed.weights());
                Map<String, String> meta = TrainingState.load(committed.state(), model, sgd);
                if (!Integer.toString(committed.epoch()).equals(meta.get("classwise.epoch"))) {
                    throw new IOException(committed.state() + " is the optimizer state of epoch " + meta.get("classwise.epoch")
                            + ", not of epoch " + committed.epoch());
                }
                EpochCommit.repairLast(run);
                int superseded = EpochCommit.removeSupersededStates(run, committed.epoch());
                if (superseded > 0) LOG.info("{}: removed {} superseded optimizer state file(s)", run.checkpoints(), superseded);
                if (policy != null) restorePolicy(meta, committed);
                trimMetrics(committed.epoch());
                start = committed.epoch() + 1;
                LOG.info("{}: resuming after epoch {} of {}", run.root(), committed.epoch(), cfg.epochs);
            }
        } else {
            checkFreshDirectory();
            if (!cfg.init.isEmpty()) startFrom(Path.of(cfg.init));
            clearForOverwrite();
            Files.createDirectories(run.checkpoints());
            AtomicFiles.write(run.config(), out -> out.write(JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(cfg)));
            Files.deleteIfExists(run.metrics());
        }
        if (announcement != null) log.println(announcement);
        CommittedState.set(start == 1 ? "no epoch of " + run.root() + " is committed yet; start again with --overwrite, or --resume"
                : "epoch " + (start - 1) + " of " + cfg.epochs + " is committed in " + run.root() + "; continue with: engine.jar train --resume --out "
                + run.root());
        List<EpochMetrics> all = new ArrayList<>();
        double previousCheck = committed != null ? catastrophicCheck() : Double.NaN;
        int lastGood = committed == null ? 0 : committed.epoch();
        for (int epoch = start; epoch <= Math.min(cfg.epochs, stopAfter); epoch++) {
            EpochMetrics m = runEpoch(epoch, lastGood);
            if (method == Method.FGSM_RS) {
                // Wong et al.'s early stopping: PGD accuracy on a fixed training batch collapsing by more than
                // 0.2 signals catastrophic overfitting; keep the previous epoch's model and stop.
                double check = catastrophicCheck();
                if (!Double.isNaN(previousCheck) && check < previousCheck - 0.2) {
                    LOG.warn(String.format(Locale.ROOT, "epoch %d: PGD accuracy on the check batch fell from %.3f to %.3f (catastrophic "
                            + "overfitting); stopping and keeping epoch %d's model", epoch, previousCheck, check, epoch - 1));
                    Checkpoint.loadInto(model, run.epochWeights(epoch - 1));
                    appendEarlyStop(epoch, previousCheck, check);
                    break;
                }
                previousCheck = check;
            }
            Map<String, String> meta = checkpointMeta(epoch);
            if (policy != null) meta.put(POLICY_META, JSON.writeValueAsString(policy.state()));
            try {
                // The weights' first write checks them (Checkpoint.save) before anything of the epoch is on disk.
                EpochCommit.commit(run, epoch, model, sgd, policy == null ? Map.of() : policy.tensors(), meta, metricsLine(m),
                        JSON.valueToTree(cfg));
            } catch (NonFiniteWeightsException e) {
                throw new TrainingDivergedException("the weights are no longer finite after epoch " + epoch + " (" + e.offender() + "; lr "
                        + cfg.lr + "); nothing of this epoch was saved. " + lastGoodCheckpoint(lastGood) + "; try a smaller --lr.");
            }
            all.add(m);
            lastGood = epoch;
            CommittedState.set("epoch " + epoch + " of " + cfg.epochs + " is committed in " + run.root() + (epoch < cfg.epochs
                    ? "; continue with: engine.jar train --resume --out " + run.root() : " (the run is complete)"));
            ClassAccuracy tr = m.testRobust();
            log.printf(Locale.ROOT, "epoch %d/%d  loss %.4f  train clean %.3f robust %s  test clean %.3f robust %.3f (worst class %.3f %s, "
                            + "gap %.3f)  (%.0f s; training %.1f img/s)%n",
                    epoch, cfg.epochs, m.trainLoss(), m.trainClean().overall(),
                    m.trainRobust() == null ? "-" : String.format(Locale.ROOT, "%.3f", m.trainRobust().overall()),
                    m.testClean().overall(), tr.overall(), tr.perClass()[tr.worstClass()], train.classNames().get(tr.worstClass()), tr.gap(),
                    m.seconds(), m.trainImagesPerSecond());
        }
        if (policy != null && policy.finalAverage() != null && lastGood == cfg.epochs) endWithAverage(policy.finalAverage());
        return all;
    }

    /**
     * CFA ends with its fairness-aware weight average rather than the last epoch: the average becomes the model,
     * checkpoints/fawa.safetensors and last.safetensors (what diagnose, attack and compare open), and its test
     * accuracy goes to final_model.json. When no epoch reached the threshold, the last epoch's weights stay, with a warning.
     */
    private void endWithAverage(FairWeightAverage fawa) throws IOException {
        ObjectNode o = JSON.createObjectNode();
        o.put("method", cfg.method);
        o.put("fawa_threshold", fawa.threshold());
        o.put("epochs_averaged", fawa.averaged());
        o.put("epochs_skipped", fawa.skipped());
        if (!fawa.started()) {
            LOG.warn("{}: no epoch reached a worst-class validation robust accuracy of {} (FAWA's threshold, --fawa-threshold); the run "
                    + "ends with the last epoch's weights", run.root(), fawa.threshold());
            o.put("weights", "last epoch (no epoch reached the FAWA threshold)");
        } else {
            fawa.loadInto(model);
            Map<String, String> meta = checkpointMeta(cfg.epochs);
            meta.put("classwise.weights", "fawa-average");
            Path fawaFile = run.checkpoints().resolve("fawa.safetensors");
            Checkpoint.save(model, fawaFile, meta);
            EpochCommit.commitFinal(run, fawaFile);
            Checkpoint.save(model, run.lastWeights(), meta);
            ClassAccuracy[] acc = evaluate(cfg.epochs);
            o.put("weights", "FAWA average of " + fawa.averaged() + " epochs (" + fawaFile.getFileName() + ", also last.safetensors)");
            ObjectNode te = o.putObject("test");
            te.set("clean", accuracyJson(acc[0]));
            te.set("robust", accuracyJson(acc[1]));
            te.put("attack", evalAttack().name());
            log.printf(Locale.ROOT, "FAWA: the average of %d epochs (%d skipped below worst-class validation robustness %.2f) is the final model: "
                    + "test clean %.3f robust %.3f%n", fawa.averaged(), fawa.skipped(), fawa.threshold(), acc[0].overall(), acc[1].overall());
        }
        AtomicFiles.write(run.root().resolve("final_model.json"), out -> out.write(JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(o)));
    }

    private static final String POLICY_META = "classwise.class_policy";

    /** What every checkpoint of the run records about itself (mutable, sorted: equal runs write equal files). */
    private Map<String, String> checkpointMeta(int epoch) {
        TreeMap<String, String> meta = new TreeMap<>(Map.of("classwise.epoch", Integer.toString(epoch), "classwise.seed", Long.toString(cfg.seed),
                "classwise.dataset", cfg.dataset, "classwise.source", cfg.source, "classwise.method", cfg.method,
                "classwise.eps", Double.toString(cfg.eps)));
        if (!cfg.removeClasses.isEmpty()) meta.put(RemovedClasses.KEY, RemovedClasses.format(cfg.removeClasses));
        return meta;
    }

    /** A resumed class-aware run continues with the multipliers / weights / average its last committed epoch saved. */
    private void restorePolicy(Map<String, String> meta, EpochCommit.Committed committed) throws IOException {
        String state = meta.get(POLICY_META);
        if (state == null) throw new IOException(committed.state() + " holds no " + cfg.method + " state (" + POLICY_META
                + "); it was not written by this method");
        try {
            policy.restore(JSON.readTree(state));
            policy.restoreTensors(TrainingState.extras(committed.state()));
        } catch (IllegalArgumentException | JsonProcessingException e) {
            throw new IOException(committed.state() + ": the saved " + cfg.method + " state is unusable: " + e.getMessage(), e);
        }
    }

    private String lastGoodCheckpoint(int lastGood) {
        return lastGood > 0 ? "The last good checkpoint is " + run.epochWeights(lastGood) + " (epoch " + lastGood
                + "; --resume continues from it)"
                : "There is no good checkpoint yet (first epoch)";
    }

    /**
     * A fresh run needs a new or empty directory (its lock file aside), or a directory that holds a Classwise
     * run together with overwrite. Anything else is refused before anything is written: a directory that is not
     * a run is never emptied, and neither is a run directory holding files Classwise did not write.
     */
    private void checkFreshDirectory() throws IOException {
        Path root = run.root();
        if (Files.exists(root) && !Files.isDirectory(root)) {
            throw new IllegalArgumentException("--out " + root + " is a file, not a directory: give a new or empty directory for the run");
        }
        if (!Files.isDirectory(root)) return;
        List<Path> present;
        try (var files = Files.list(root)) {
            present = files.filter(f -> !f.getFileName().toString().equals(RunLock.FILE)).sorted().toList();
        }
        if (present.isEmpty()) return;
        if (!RunDirectory.holdsRun(root)) {
            throw new IllegalStateException("--out " + root + " is not empty and is not a Classwise run (" + present.size() + " entries, e.g. "
                    + present.get(0).getFileName() + ", and no config.json of a run); Classwise never deletes what it did not write, "
                    + "--overwrite included: choose a new or empty --out");
        }
        if (!overwrite) {
            throw new IllegalStateException("--out " + root + " already holds a run (" + run.config().getFileName()
                    + "): use --resume to continue it, --overwrite to replace it, or another --out");
        }
        List<Path> foreign = run.foreignEntries();
        if (!foreign.isEmpty()) {
            throw new IllegalStateException("--overwrite: " + root + " holds a run but also " + foreign.size() + " entr"
                    + (foreign.size() == 1 ? "y" : "ies") + " Classwise did not write (" + foreign.get(0).getFileName()
                    + (foreign.size() > 1 ? ", ..." : "") + "); nothing was deleted. Move them away, or choose another --out");
        }
    }

    /**
     * A fresh run's starting weights (--init). Their SHA-256 goes into config.json (written next), and so into every
     * commit's manifest; a digest the configuration already gives (a library caller's) must match the file.
     */
    private void startFrom(Path init) throws IOException {
        String sha = RunManifest.sha256(init);
        if (!cfg.initSha256.isEmpty() && !sha.equals(cfg.initSha256)) {
            throw new IllegalStateException("--init " + init + " is not the file the configuration names (initSha256 differs)");
        }
        cfg.initSha256 = sha;
        Checkpoint.loadInto(model, init);
        LOG.info("{}: starting from the weights of {}", run.root(), init);
    }

    /** With overwrite, removes the previous run's entries (checked to be only what Classwise writes); the lock stays. */
    private void clearForOverwrite() throws IOException {
        try (var files = Files.list(run.root())) {
            for (Path p : files.filter(f -> !f.getFileName().toString().equals(RunLock.FILE)).toList()) FileTrees.deleteRecursively(p);
        }
    }

    public Pgd evalAttack() { return Pgd.pgd((float) cfg.eps, (float) cfg.evalStep, cfg.evalSteps, 1); }

    private EpochMetrics runEpoch(int epoch, int lastGood) {
        long t0 = System.nanoTime();
        BatchLoader loader = new BatchLoader(train, Transforms.forTraining(datasetId), cfg.batchSize, true, false, cfg.seed, 2);
        Rng attackRng = new Rng(mix(epoch, 11));
        trainedEpochs = epoch - 1;
        plan = policy == null ? ClassPlan.fromConfig(cfg) : policy.beforeEpoch(epoch, evidence);
        ClassProbabilities probabilities = policy != null && policy.wantsAdversarialProbabilities(epoch)
                ? new ClassProbabilities(train.numClasses()) : null;
        // The epoch's tapes and buffers own its device memory and release it when the epoch ends.
        try (Tape trainTape = new Tape(b).training(true); Tape cleanTape = new Tape(b).training(true); Tape attackTape = new Tape(b);
             Buffers buffers = new Buffers(b)) {
            Objective objective = Objective.of(method, new Objective.Context(model, trainTape, cleanTape, attackTape, buffers, cfg, plan));
            return runEpoch(epoch, lastGood, t0, System.nanoTime(), loader, attackRng, objective, buffers, probabilities);
        }
    }

    /** What a class-aware policy measures: the validation split under the evaluation attack, cached per state of the model. */
    private final ClassPolicy.Evidence evidence = new ClassPolicy.Evidence() {
        @Override
        public ClassAccuracy[] validation() {
            if (validation == null) throw new IllegalStateException(cfg.method + " measured on a validation split that was not held out");
            if (validatedAt != trainedEpochs) {
                validated = Evaluation.run(model, validation, Transforms.forEvaluation(datasetId), evalAttack(), cfg.batchSize,
                        new Rng(mix(trainedEpochs, 41)));
                validatedAt = trainedEpochs;
            }
            return validated;
        }

        @Override
        public Model model() { return model; }
    };

    /** t0: the epoch's start (its measurements before training included); trainStart: the training loop's. */
    private EpochMetrics runEpoch(int epoch, int lastGood, long t0, long trainStart, BatchLoader loader, Rng attackRng, Objective objective,
                                  Buffers buffers, ClassProbabilities probabilities) {
        int k = train.numClasses();
        ClassAccuracy clean = new ClassAccuracy(k), robust = objective.adversarial() ? new ClassAccuracy(k) : null;
        ClassAccuracy adversarial = objective.adversarial() ? new ClassAccuracy(k) : null;
        double lossSum = 0;
        int batches = loader.batchesPerEpoch(), seen = 0;
        double lr = 0;
        try (BatchLoader.Epoch it = loader.epoch(epoch); ProgressBar bar = progress ? bar("epoch " + epoch + "/" + cfg.epochs,
                batches) : null) {
            for (int i = 0; i < batches; i++) {
                Batch batch = it.next();
                int n = batch.size();
                Tensor x = buffers.get("x", batch.shape());
                b.upload(batch.images(), x);
                Tensor y = buffers.get("y", n).copyFrom(batch.labelsAsFloats());
                int[] yi = new int[n];
                for (int r = 0; r < n; r++) yi[r] = batch.label(r);
                lr = schedule.lr(epoch - 1 + (double) i / batches);
                sgd.zeroGrad();
                double loss = objective.lossAndGradients(new Objective.Batch(x, y, yi, clean, robust, attackRng, probabilities,
                        adversarial));
                if (!Double.isFinite(loss)) {
                    throw new TrainingDivergedException("loss is " + loss + " at epoch " + epoch + ", batch " + (i + 1) + " (lr " + lr
                            + "); stopped. " + lastGoodCheckpoint(lastGood) + "; try a smaller --lr.");
                }
                sgd.step((float) lr);
                lossSum += loss * n;
                seen += n;
                if (bar != null) bar.step();
            }
        }
        double trainSeconds = (System.nanoTime() - trainStart) / 1e9;
        trainedEpochs = epoch;
        if (policy != null) policy.afterEpoch(epoch, clean, policy.calibratesOnAdversarialAccuracy() ? adversarial : robust,
                probabilities == null ? null : probabilities.means(), evidence);
        ClassAccuracy[] evalAcc = evaluate(epoch);
        return new EpochMetrics(epoch, lr, lossSum / seen, (System.nanoTime() - t0) / 1e9, trainSeconds, seen, clean, robust,
                evalAcc[0], evalAcc[1]);
    }

    private long mix(int epoch, int stream) {
        Rng r = new Rng(cfg.seed * 0x9E3779B97F4A7C15L + stream);
        r.setState(r.nextLong() ^ epoch);
        return r.nextLong();
    }

    private ProgressBar bar(String task, int total) {
        return new ProgressBarBuilder().setTaskName(task).setInitialMax(total).setStyle(ProgressBarStyle.ASCII)
                .setConsumer(new ConsoleProgressBarConsumer(System.err)).setUpdateIntervalMillis(500).build();
    }

    // ---------------------------------------------------------------- evaluation and files

    /** PGD-10 accuracy on the first training batch in fixed order (Wong et al.'s collapse detector). */
    private double catastrophicCheck() {
        int n = Math.min(cfg.batchSize, train.size());
        int[] first = new int[n];
        for (int i = 0; i < n; i++) first[i] = i;
        SubsetDataset batch = SubsetDataset.ofIndices(train, first);
        ClassAccuracy[] acc = Evaluation.run(model, batch, Transforms.forEvaluation(datasetId),
                Pgd.pgd((float) cfg.eps, (float) (cfg.eps / 4), 10, 1), n, new Rng(mix(0, 31)));
        return acc[1].overall();
    }

    private void appendEarlyStop(int epoch, double before, double after) throws IOException {
        ObjectNode line = JSON.createObjectNode();
        line.put("epoch", epoch);
        line.put("early_stopped", true);
        line.put("check_pgd_accuracy_before", before);
        line.put("check_pgd_accuracy_after", after);
        line.put("kept_epoch", epoch - 1);
        AtomicFiles.appendLine(run.metrics(), JSON.writeValueAsString(line));
    }

    /** Clean and PGD accuracy per class on the (balanced subset of the) test set, evaluation mode. */
    public ClassAccuracy[] evaluate(int epoch) {
        return Evaluation.run(model, test, Transforms.forEvaluation(datasetId), evalAttack(), cfg.batchSize, new Rng(mix(epoch, 23)));
    }

    /** Overall and per-class accuracy, with the fairness summary over classes (average, worst class, gap). */
    private static ObjectNode accuracyJson(ClassAccuracy a) {
        ObjectNode o = JSON.createObjectNode();
        if (a == null) return null;
        o.put("overall", a.overall());
        ArrayNode per = o.putArray("per_class");
        for (double v : a.perClass()) { if (Double.isNaN(v)) per.addNull(); else per.add(v); }
        if (a.worstClass() >= 0) {
            o.put("class_average", a.classAverage());
            o.put("worst", a.perClass()[a.worstClass()]);
            o.put("worst_class", a.worstClass());
            o.put("gap", a.gap());
        }
        return o;
    }

    private String metricsLine(EpochMetrics m) throws IOException {
        ObjectNode line = JSON.createObjectNode();
        line.put("epoch", m.epoch());
        line.put("lr", m.lr());
        line.put("train_loss", m.trainLoss());
        line.put("seconds", m.seconds());
        line.put("train_seconds", m.trainSeconds());
        line.put("train_images_per_second", m.trainImagesPerSecond());
        line.put("method", cfg.method);
        line.put("robust_definition", Evaluation.ROBUST_DEFINITION);
        // What a class-aware run used this epoch (its per-class budgets and loss weights) and its policy's state.
        if (plan.eps() != null) line.set("class_eps", JSON.valueToTree(plan.eps()));
        if (plan.step() != null) line.set("class_step", JSON.valueToTree(plan.step()));
        if (plan.cleanWeight() != null) line.set("class_clean_weights", JSON.valueToTree(plan.cleanWeight()));
        if (plan.robustWeight() != null) line.set("class_weights", JSON.valueToTree(plan.robustWeight()));
        if (policy != null) line.set("class_policy", policy.state());
        ObjectNode tr = line.putObject("train");
        tr.set("clean", accuracyJson(m.trainClean()));
        if (m.trainRobust() != null) tr.set("robust", accuracyJson(m.trainRobust()));
        ObjectNode te = line.putObject("test");
        te.set("clean", accuracyJson(m.testClean()));
        te.set("robust", accuracyJson(m.testRobust()));
        te.put("attack", evalAttack().name());
        ArrayNode names = line.putArray("class_names");
        for (String s : train.classNames()) names.add(s);
        return JSON.writeValueAsString(line);
    }

    /**
     * Drops metric lines of epochs after the last committed one (an interrupted epoch). A torn final
     * line (a crash mid-append) is dropped with a warning; any other unreadable line is an error that
     * names the file and the line.
     */
    private void trimMetrics(int lastEpoch) throws IOException {
        if (!Files.exists(run.metrics())) return;
        List<String> lines = Files.readAllLines(run.metrics(), StandardCharsets.UTF_8);
        List<String> keep = new ArrayList<>();
        for (int i = 0; i < lines.size(); i++) {
            String l = lines.get(i);
            if (l.isBlank()) continue;
            JsonNode n;
            try {
                n = JSON.readTree(l);
            } catch (JsonProcessingException e) {
                if (i == lines.size() - 1) {
                    LOG.warn("{}: dropping the incomplete last line {} (written when the run stopped)", run.metrics(), i + 1);
                    continue;
                }
                throw new IOException(run.metrics() + " line " + (i + 1) + " is not valid JSON (" + e.getOriginalMessage() + ")");
            }
            if (n.path("epoch").asInt() <= lastEpoch) keep.add(l);
        }
        AtomicFiles.write(run.metrics(), out -> out.write((String.join("\n", keep) + (keep.isEmpty() ? ""
                : "\n")).getBytes(StandardCharsets.UTF_8)));
    }
}
