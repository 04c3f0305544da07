package io.classwise.nn;

import io.classwise.nn.layers.AvgPool2d;
import io.classwise.nn.layers.BatchNorm2d;
import io.classwise.nn.layers.Conv2d;
import io.classwise.nn.layers.CosineLinear;
import io.classwise.nn.layers.Flatten;
import io.classwise.nn.layers.Init;
import io.classwise.nn.layers.Linear;
import io.classwise.nn.layers.MaxPool2d;
import io.classwise.nn.layers.Normalize;
import io.classwise.nn.layers.ReLU;
import io.classwise.nn.layers.ResidualBlock;
import io.classwise.nn.layers.Sequential;
import io.classwise.nn.layers.Swish;
import io.classwise.nn.layers.ZeroPad2d;
import io.classwise.tensor.Backend;
import io.classwise.util.Rng;

import java.util.List;
import java.util.Locale;
import java.util.Arrays;

/**
 * The architectures of the study, with the state names, shapes and initialisation of the PyTorch
 * implementations researchers load them from:
 * <ul>
 * <li>{@code madry-cnn}: Madry et al.'s MNIST network as advertorch's LeNet5Madry (conv1, conv2, linear1, linear2);</li>
 * <li>{@code resnet18}: ResNet-18 for 32×32 inputs as in kuangliu/pytorch-cifar;</li>
 * <li>{@code preact-resnet18}: PreActResNet-18 as in Wong et al.'s fast_adversarial (final {@code bn});</li>
 * <li>{@code wrn-D-W}: WideResNet as in TRADES/MART (block1.layer.0.bn1, convShortcut, fc), e.g. wrn-34-10;</li>
 * <li>{@code dm-wrn-D-W}: DeepMind's WideResNet of Gowal et al. 2020 and Rebuffi et al. 2021 (init_conv,
 * layer.0.block.0.batchnorm_0, shortcut, logits; Swish; TensorFlow's asymmetric padding before strided
 * convolutions), e.g. dm-wrn-70-16, dm-wrn-28-10; {@code dm-wrn-D-W-relu} with ReLU;</li>
 * <li>{@code resnet50}: torchvision's ResNet-50 for 224×224 ImageNet inputs;</li>
 * <li>{@code small-cnn}: a small network for fast CPU demos (conv1, conv2, fc1, fc2).</li>
 * </ul>
 * {@link Spec#cosineHead} swaps the final linear layer for a {@link CosineLinear} (hypersphere embedding).
 */
public final class Models {
    private Models() {}

    public static final List<String> ARCHITECTURES = List.of("madry-cnn", "small-cnn", "resnet18", "preact-resnet18", "wrn-34-10",
            "dm-wrn-70-16", "dm-wrn-28-10", "resnet50");

    /**
     * What to build. inputShape is (C, H, W); mean/std per channel (length C);
     * cosineScale &gt; 0 selects a cosine head with that scale s.
     */
    public record Spec(String architecture, int numClasses, int[] inputShape, float[] mean, float[] std, float cosineScale) {
        public Spec {
            if (numClasses < 2) throw new IllegalArgumentException("need at least 2 classes, got " + numClasses);
            if (inputShape.length != 3) throw new IllegalArgumentException("inputShape is (C, H, W)");
            if (mean.length != inputShape[0] || std.length != inputShape[0]) {
                throw new IllegalArgumentException("mean/std need " + inputShape[0] + " values (one per channel)");
            }
        }

        public boolean cosineHead() { return cosineScale > 0; }

        /** Same spec with a hypersphere-embedding head of scale s. */
        public Spec withCosineHead(float s) { return new Spec(architecture, numClasses, inputShape, mean, std, s); }
    }

    /**
     * Name prefixes the published weights of an architecture carry that its forward never uses: TRADES's
     * WideResNet defines a first sub-block it never calls, and its released checkpoints hold it.
     */
    public static List<String> unusedInPublishedWeights(String architecture) {
        return architecture.toLowerCase(Locale.ROOT).startsWith("wrn-") ? List.of("sub_block1.") : List.of();
    }

    /**
     * Whether the published models of an architecture expect the dataset's mean/std normalisation on [0, 1]
     * pixels: DeepMind's WideResNets apply it inside (CIFAR's constants, which are the datasets' here), and
     * torchvision's ImageNet models in the data pipeline. The CIFAR zoo's other families take [0, 1] pixels.
     */
    public static boolean publishedWithDatasetNormalisation(String architecture) {
        String a = architecture.toLowerCase(Locale.ROOT);
        return a.startsWith("dm-wrn-") || a.equals("resnet50");
    }

    /** A spec with identity normalisation (mean 0, std 1). */
    public static Spec spec(String architecture, int numClasses, int c, int h, int w) {
        float[] mean = new float[c], std = new float[c];
        Arrays.fill(std, 1f);
        return new Spec(architecture, numClasses, new int[] {c, h, w}, mean, std, 0f);
    }

    /** Builds and initialises a model (seeded: the same seed gives the same weights). */
    public static Model create(Backend b, Spec spec, long seed) {
        Built built = build(b, spec);
        Model m = built.model;
        Rng rng = new Rng(seed);
        m.initialize(rng);
        built.init.apply(m, rng);
        return m;
    }

    /**
     * The architecture with its weights left at zero, for a checkpoint to be loaded into (which sets every
     * entry): initialising a WideResNet-70-16's 267M weights only to overwrite them costs seconds.
     */
    public static Model createForLoading(Backend b, Spec spec) { return build(b, spec).model; }

    private static Built build(Backend b, Spec spec) {
        String arch = spec.architecture().toLowerCase(Locale.ROOT);
        int c = spec.inputShape()[0], h = spec.inputShape()[1], w = spec.inputShape()[2];
        Built built;
        if (arch.equals("madry-cnn")) built = madryCnn(b, spec, c, h, w);
        else if (arch.equals("small-cnn")) built = smallCnn(b, spec, c, h, w);
        else if (arch.equals("resnet18")) built = resnet18(b, spec, c, h, w);
        else if (arch.equals("preact-resnet18")) built = preActResnet18(b, spec, c, h, w);
        else if (arch.startsWith("wrn-")) built = wideResnet(b, spec, arch, c, h, w);
        else if (arch.startsWith("dm-wrn-")) built = deepMindWideResnet(b, spec, arch, c, h, w);
        else if (arch.equals("resnet50")) built = resnet50(b, spec, c, h, w);
        else throw new IllegalArgumentException("unknown architecture '" + spec.architecture() + "'; expected one of "
                    + ARCHITECTURES + " (or wrn-DEPTH-WIDTH, dm-wrn-DEPTH-WIDTH[-relu])");
        built.model = new Model(arch, spec.numClasses(), spec.inputShape(), new Normalize(b, spec.mean(), spec.std()), built.net, built.head);
        return built;
    }

    private interface ExtraInit { void apply(Model m, Rng rng); }

    /** What an architecture's builder returns: the layers, the head, its own initialisation; model set by {@link #build}. */
    private static final class Built {
        final Layer net, head;
        final ExtraInit init;
        Model model;

        Built(Layer net, Layer head, ExtraInit init) { this.net = net; this.head = head; this.init = init; }
    }

    private static final ExtraInit PYTORCH_DEFAULTS = (m, rng) -> {};

    private static Layer head(Backend b, Spec spec, int in) {
        return spec.cosineHead() ? new CosineLinear(b, in, spec.numClasses(), spec.cosineScale()) : new Linear(b, in,
                spec.numClasses(), true);
    }

    private static void requireDivisible(int h, int w, int by, String arch) {
        if (h % by != 0 || w % by != 0) throw new IllegalArgumentException(arch + " needs H and W divisible by " + by + ", got "
                + h + "x" + w);
    }

    private static Built madryCnn(Backend b, Spec spec, int c, int h, int w) {
        requireDivisible(h, w, 4, "madry-cnn");
        Layer head = head(b, spec, 1024);
        Sequential net = new Sequential()
                .add("conv1", new Conv2d(b, c, 32, 5, 1, 2, true)).add("relu1+maxpool1", MaxPool2d.afterRelu(2, 2, 0))
                .add("conv2", new Conv2d(b, 32, 64, 5, 1, 2, true)).add("relu2+maxpool2", MaxPool2d.afterRelu(2, 2, 0))
                .add("flatten", new Flatten())
                .add("linear1", new Linear(b, 64 * (h / 4) * (w / 4), 1024, true)).add("relu3", new ReLU())
                .add("linear2", head);
        return new Built(net, head, PYTORCH_DEFAULTS);
    }

    private static Built smallCnn(Backend b, Spec spec, int c, int h, int w) {
        requireDivisible(h, w, 4, "small-cnn");
        Layer head = head(b, spec, 128);
        Sequential net = new Sequential()
                .add("conv1", new Conv2d(b, c, 16, 3, 1, 1, true)).add("relu1+pool1", MaxPool2d.afterRelu(2, 2, 0))
                .add("conv2", new Conv2d(b, 16, 32, 3, 1, 1, true)).add("relu2+pool2", MaxPool2d.afterRelu(2, 2, 0))
                .add("flatten", new Flatten())
                .add("fc1", new Linear(b, 32 * (h / 4) * (w / 4), 128, true)).add("relu3", new ReLU())
                .add("fc2", head);
        return new Built(net, head, PYTORCH_DEFAULTS);
    }

    /** kuangliu BasicBlock: conv1 bn1 relu conv2 bn2 (+ shortcut conv/bn) relu; bn1 and its ReLU as one layer. */
    private static ResidualBlock basicBlock(Backend b, int in, int planes, int stride) {
        ResidualBlock blk = new ResidualBlock()
                .main("conv1", new Conv2d(b, in, planes, 3, stride, 1, false)).main("bn1", BatchNorm2d.thenRelu(b, planes))
                .main("conv2", new Conv2d(b, planes, planes, 3, 1, 1, false)).main("bn2", new BatchNorm2d(b, planes))
                .reluAfterSum();
        if (stride != 1 || in != planes) {
            blk.projection("shortcut", new Sequential().add(new Conv2d(b, in, planes, 1, stride, 0, false)).add(new BatchNorm2d(b,
                    planes)));
        }
        return blk;
    }

    private static Built resnet18(Backend b, Spec spec, int c, int h, int w) {
        requireDivisible(h, w, 32, "resnet18");
        Sequential net = new Sequential()
                .add("conv1", new Conv2d(b, c, 64, 3, 1, 1, false)).add("bn1", new BatchNorm2d(b, 64)).add("relu", new ReLU());
        int[] planes = {64, 128, 256, 512};
        int in = 64;
        for (int s = 0; s < 4; s++) {
            Sequential stage = new Sequential();
            for (int i = 0; i < 2; i++) {
                stage.add(basicBlock(b, in, planes[s], i == 0 && s > 0 ? 2 : 1));
                in = planes[s];
            }
            net.add("layer" + (s + 1), stage);
        }
        Layer head = head(b, spec, 512);
        net.add("avgpool", new AvgPool2d(h / 8, h / 8)).add("flatten", new Flatten()).add("linear", head);
        return new Built(net, head, PYTORCH_DEFAULTS);
    }

    /**
     * Pre-activation block (PreActResNet and WideResNet): a = relu(bn1(x)); conv1(a) → bn2 → relu →
     * conv2, plus the identity on x or a 1×1 projection of a. Each batch norm and its ReLU are one layer
     * ({@link BatchNorm2d#thenRelu}).
     */
    private static ResidualBlock preActBlock(Backend b, int in, int planes, int stride, String shortcutName, boolean shortcutIsSequential) {
        ResidualBlock blk = new ResidualBlock()
                .pre("bn1", BatchNorm2d.thenRelu(b, in))
                .main("conv1", new Conv2d(b, in, planes, 3, stride, 1, false))
                .main("bn2", BatchNorm2d.thenRelu(b, planes))
                .main("conv2", new Conv2d(b, planes, planes, 3, 1, 1, false));
        if (stride != 1 || in != planes) {
            Conv2d proj = new Conv2d(b, in, planes, 1, stride, 0, false);
            blk.projection(shortcutName, shortcutIsSequential ? new Sequential().add(proj) : proj);
        }
        return blk;
    }

    private static Built preActResnet18(Backend b, Spec spec, int c, int h, int w) {
        requireDivisible(h, w, 32, "preact-resnet18");
        Sequential net = new Sequential().add("conv1", new Conv2d(b, c, 64, 3, 1, 1, false));
        int[] planes = {64, 128, 256, 512};
        int in = 64;
        for (int s = 0; s < 4; s++) {
            Sequential stage = new Sequential();
            for (int i = 0; i < 2; i++) {
                stage.add(preActBlock(b, in, planes[s], i == 0 && s > 0 ? 2 : 1, "shortcut", true));
                in = planes[s];
            }
            net.add("layer" + (s + 1), stage);
        }
        Layer head = head(b, spec, 512);
        net.add("bn", new BatchNorm2d(b, 512)).add("relu", new ReLU())
           .add("avgpool", new AvgPool2d(h / 8, h / 8)).add("flatten", new Flatten()).add("linear", head);
        return new Built(net, head, PYTORCH_DEFAULTS);
    }

    /** {depth, width} of a name "PREFIX-DEPTH-WIDTH[-SUFFIX]" (depth 6n+4), with the error naming the form. */
    private static int[] depthAndWidth(String arch, String prefix, String suffix) {
        String rest = arch.substring(prefix.length());
        if (suffix != null && rest.endsWith(suffix)) rest = rest.substring(0, rest.length() - suffix.length());
        String[] parts = rest.split("-");
        String form = prefix + "DEPTH-WIDTH" + (suffix == null ? "" : "[" + suffix + "]");
        int depth, width;
        try {
            if (parts.length != 2) throw new NumberFormatException();
            depth = Integer.parseInt(parts[0]);
            width = Integer.parseInt(parts[1]);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("WideResNet is named " + form + ", got '" + arch + "'");
        }
        if ((depth - 4) % 6 != 0 || depth < 10 || width < 1) {
            throw new IllegalArgumentException("WideResNet depth must be 6n+4 (10, 16, 28, 34, 70, ...) and width >= 1, got '" + arch + "'");
        }
        // Checked before a single weight is allocated: WRN-70-16 (267 M parameters) is the largest published; far past it is a typo.
        if (depth > 1000 || width > 64) {
            throw new IllegalArgumentException("--arch " + arch + ": depth " + depth + " and width " + width + " are beyond any WideResNet "
                    + "(depth at most 1000, width at most 64; the largest published is dm-wrn-70-16)");
        }
        return new int[] {depth, width};
    }

    private static Built wideResnet(Backend b, Spec spec, String arch, int c, int h, int w) {
        int[] dw = depthAndWidth(arch, "wrn-", null);
        int depth = dw[0], width = dw[1];
        requireDivisible(h, w, 4, arch);
        int n = (depth - 4) / 6;
        int[] ch = {16, 16 * width, 32 * width, 64 * width};
        Sequential net = new Sequential().add("conv1", new Conv2d(b, c, 16, 3, 1, 1, false));
        for (int g = 0; g < 3; g++) {
            Sequential layer = new Sequential();
            for (int i = 0; i < n; i++) {
                int in = i == 0 ? ch[g] : ch[g + 1];
                layer.add(preActBlock(b, in, ch[g + 1], i == 0 && g > 0 ? 2 : 1, "convShortcut", false));
            }
            net.add("block" + (g + 1), new Sequential().add("layer", layer));
        }
        Layer head = head(b, spec, ch[3]);
        net.add("bn1", new BatchNorm2d(b, ch[3])).add("relu", new ReLU())
           .add("avgpool", AvgPool2d.global()).add("flatten", new Flatten()).add("fc", head);
        // TRADES WideResNet: conv ~ N(0, 2/(k·k·out)), BN 1/0, linear bias 0.
        ExtraInit init = (m, rng) -> {
            for (Layer l : m.net().layers()) if (l instanceof Conv2d conv) Init.kaimingNormalFanOut(conv.weight().value(), rng);
            if (head instanceof Linear lin) Init.constant(lin.bias().value(), 0f);
        };
        return new Built(net, head, init);
    }

    /**
     * DeepMind's block: a = act(batchnorm_0(x)); conv_0 (3×3, no padding of its own) after TensorFlow's
     * "SAME" padding — (1, 1, 1, 1) at stride 1, (0, 1, 0, 1) at stride 2 —, batchnorm_1, act, conv_1;
     * plus x, or the 1×1 {@code shortcut} of a when the width changes. BN momentum 0.01 as published.
     */
    static ResidualBlock deepMindBlock(Backend b, int in, int out, int stride, boolean swish) {
        ResidualBlock blk = new ResidualBlock()
                .pre("batchnorm_0", new BatchNorm2d(b, in, 0.01f, 1e-5f)).pre(null, swish ? new Swish() : new ReLU())
                .main(null, stride == 1 ? new ZeroPad2d(1, 1, 1, 1) : new ZeroPad2d(0, 1, 0, 1))
                .main("conv_0", new Conv2d(b, in, out, 3, stride, 0, false))
                .main("batchnorm_1", new BatchNorm2d(b, out, 0.01f, 1e-5f)).main(null, swish ? new Swish() : new ReLU())
                .main("conv_1", new Conv2d(b, out, out, 3, 1, 1, false));
        if (in != out) blk.projection("shortcut", new Conv2d(b, in, out, 1, stride, 0, false));
        return blk;
    }

    /**
     * Gowal et al.'s WideResNet (DeepMind's PyTorch port, RobustBench's DMWideResNet): init_conv,
     * layer.G.block.I, batchnorm, logits; 8×8 average pooling, so 32×32 inputs. The normalisation the
     * published models apply inside is this model's Normalize (the dataset's mean/std).
     */
    private static Built deepMindWideResnet(Backend b, Spec spec, String arch, int c, int h, int w) {
        boolean relu = arch.endsWith("-relu");
        int[] dw = depthAndWidth(arch, "dm-wrn-", "-relu");
        if (h != 32 || w != 32) throw new IllegalArgumentException(arch + " takes 32x32 inputs (its head pools 8x8), got " + h + "x" + w);
        int n = (dw[0] - 4) / 6;
        int[] ch = {16, 16 * dw[1], 32 * dw[1], 64 * dw[1]};
        Sequential groups = new Sequential();
        for (int g = 0; g < 3; g++) {
            Sequential blocks = new Sequential();
            for (int i = 0; i < n; i++) blocks.add(deepMindBlock(b, i == 0 ? ch[g] : ch[g + 1], ch[g + 1], i == 0 && g > 0 ? 2 : 1, !relu));
            groups.add(new Sequential().add("block", blocks));
        }
        Layer head = head(b, spec, ch[3]);
        Sequential net = new Sequential().add("init_conv", new Conv2d(b, c, 16, 3, 1, 1, false)).add("layer", groups)
                .add("batchnorm", new BatchNorm2d(b, ch[3], 0.01f, 1e-5f)).add("relu", relu ? new ReLU() : new Swish())
                .add("avgpool", new AvgPool2d(8, 8)).add("flatten", new Flatten()).add("logits", head);
        return new Built(net, head, PYTORCH_DEFAULTS);
    }

    private static ResidualBlock bottleneck(Backend b, int in, int planes, int stride) {
        ResidualBlock blk = new ResidualBlock()
                .main("conv1", new Conv2d(b, in, planes, 1, 1, 0, false)).main("bn1", new BatchNorm2d(b, planes)).main(null, new ReLU())
                .main("conv2", new Conv2d(b, planes, planes, 3, stride, 1, false)).main("bn2", new BatchNorm2d(b,
                        planes)).main(null, new ReLU())
                .main("conv3", new Conv2d(b, planes, planes * 4, 1, 1, 0, false)).main("bn3", new BatchNorm2d(b, planes * 4))
                .reluAfterSum();
        if (stride != 1 || in != planes * 4) {
            blk.projection("downsample", new Sequential().add(new Conv2d(b, in, planes * 4, 1, stride, 0,
                    false)).add(new BatchNorm2d(b, planes * 4)));
        }
        return blk;
    }

    private static Built resnet50(Backend b, Spec spec, int c, int h, int w) {
        requireDivisible(h, w, 32, "resnet50");
        Sequential net = new Sequential()
                .add("conv1", new Conv2d(b, c, 64, 7, 2, 3, false)).add("bn1", new BatchNorm2d(b, 64)).add("relu", new ReLU())
                .add("maxpool", new MaxPool2d(3, 2, 1));
        int[] blocks = {3, 4, 6, 3};
        int in = 64;
        for (int s = 0; s < 4; s++) {
            int planes = 64 << s;
            Sequential stage = new Sequential();
            for (int i = 0; i < blocks[s]; i++) {
                stage.add(bottleneck(b, in, planes, i == 0 && s > 0 ? 2 : 1));
                in = planes * 4;
            }
            net.add("layer" + (s + 1), stage);
        }
        Layer head = head(b, spec, 2048);
        net.add("avgpool", AvgPool2d.global()).add("flatten", new Flatten()).add("fc", head);
        // torchvision: conv kaiming_normal(fan_out, relu), BN 1/0, fc PyTorch default.
        ExtraInit init = (m, rng) -> {
            for (Layer l : m.net().layers()) if (l instanceof Conv2d conv) Init.kaimingNormalFanOut(conv.weight().value(), rng);
        };
        return new Built(net, head, init);
    }
}
