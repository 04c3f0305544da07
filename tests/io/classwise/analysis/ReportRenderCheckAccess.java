package io.classwise.analysis;

import java.nio.file.Path;

/** Lets tests of other packages render a report in headless Chromium with the same checks. */
public final class ReportRenderCheckAccess {
    private ReportRenderCheckAccess() {}

    public static void render(Path report, Path screenshot) throws Exception { ReportRenderCheck.renderIfChromiumPresent(report,
            screenshot); }
}
