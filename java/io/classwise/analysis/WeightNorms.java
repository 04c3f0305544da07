package io.classwise.analysis;

import io.classwise.nn.Model;
import io.classwise.nn.layers.CosineLinear;
import io.classwise.nn.layers.Linear;

/**
 * The L2 norm of each class's weight vector in the final layer (row c of its weight matrix) and its
 * bias, and their correlation with per-class robustness (the study's second finding: robust classes
 * have larger classifier weight norms).
 */
public record WeightNorms(double[] weightNorm, double[] bias, double pearson, double spearman) {

    public static double[] rowNorms(Model model) {
        float[] w;
        int classes = model.numClasses();
        if (model.classifier() instanceof Linear l) w = l.weight().value().toArray();
        else if (model.classifier() instanceof CosineLinear c) w = c.weight().value().toArray();
        else throw new IllegalArgumentException("no final linear layer");
        int d = w.length / classes;
        double[] norms = new double[classes];
        for (int c = 0; c < classes; c++) {
            double s = 0;
            for (int j = 0; j < d; j++) s += (double) w[c * d + j] * w[c * d + j];
            norms[c] = Math.sqrt(s);
        }
        return norms;
    }

    /** Norms and bias of the model's classifier, correlated with the given per-class robust accuracy. */
    public static WeightNorms of(Model model, double[] robustPerClass) {
        double[] norms = rowNorms(model);
        double[] bias = new double[norms.length];
        if (model.classifier() instanceof Linear l && l.bias() != null) {
            float[] b = l.bias().value().toArray();
            for (int c = 0; c < b.length; c++) bias[c] = b[c];
        }
        return new WeightNorms(norms, bias, Correlation.pearson(norms, robustPerClass), Correlation.spearman(norms, robustPerClass));
    }
}
