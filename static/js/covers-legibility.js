// The title-zone legibility rule of covers/legibility.py, ported to run in the page so the
// crop editor can say at every move of the frame whether the title will read. Same steps,
// same constants (sent by the page from the Python module): the region scaled to 96 pixels
// high with Pillow's BOX filter (its fixed-point arithmetic, so the pixels are the same),
// the band laid over it, WCAG contrast at the worst tenth, share of Sobel edges on L*.
// tests/browser/test_covers.py checks that both give the same figures on generated images.
(function (root) {
  "use strict";

  var PRECISION_BITS = 22;  // Pillow's Resample.c: 32 - 8 - 2
  var LUMA = [0.2126, 0.7152, 0.0722];

  // Python's round(): halves go to the even neighbour (round(2.5) == 2).
  function roundHalfEven(x) {
    var r = Math.round(x);
    if (Math.abs(x % 1) === 0.5) r = 2 * Math.round(x / 2);
    return r;
  }

  // Pillow's precompute_coeffs + normalize_coeffs_8bpc for the BOX filter.
  function coefficients(inSize, outSize) {
    var scale = inSize / outSize;
    var filterscale = Math.max(scale, 1.0);
    var support = 0.5 * filterscale;
    var ksize = Math.ceil(support) * 2 + 1;
    var bounds = new Int32Array(outSize * 2);
    var kk = new Float64Array(outSize * ksize);
    for (var xx = 0; xx < outSize; xx++) {
      var center = (xx + 0.5) * scale;
      var ss = 1.0 / filterscale;
      var xmin = Math.max(0, Math.trunc(center - support + 0.5));
      var xmax = Math.min(inSize, Math.trunc(center + support + 0.5)) - xmin;
      var ww = 0.0, x, w;
      for (x = 0; x < xmax; x++) {
        var t = (x + xmin - center + 0.5) * ss;
        w = (t > -0.5 && t <= 0.5) ? 1.0 : 0.0;
        kk[xx * ksize + x] = w;
        ww += w;
      }
      for (x = 0; x < xmax; x++) {
        w = ww !== 0.0 ? kk[xx * ksize + x] / ww : kk[xx * ksize + x];
        kk[xx * ksize + x] = Math.trunc(w < 0 ? -0.5 + w * (1 << PRECISION_BITS) : 0.5 + w * (1 << PRECISION_BITS));
      }
      bounds[xx * 2] = xmin;
      bounds[xx * 2 + 1] = xmax;
    }
    return { ksize: ksize, bounds: bounds, kk: kk };
  }

  function clip8(ss) {
    var v = Math.floor(ss / (1 << PRECISION_BITS));
    return v < 0 ? 0 : v > 255 ? 255 : v;
  }

  // RGB(A) pixels (stride channels) resized like Pillow's Image.resize(..., BOX) of an RGB
  // image: a horizontal pass, then a vertical one, each rounded to 8 bits. Returns RGB.
  function resizeBox(pixels, width, height, stride, outW, outH) {
    var src = new Uint8Array(width * height * 3), i, c;
    for (i = 0; i < width * height; i++) {
      for (c = 0; c < 3; c++) src[i * 3 + c] = pixels[i * stride + c];
    }
    var cur = src, curW = width, x, y, k, ss;
    if (outW !== width) {
      var h = coefficients(width, outW);
      var tmp = new Uint8Array(outW * height * 3);
      for (y = 0; y < height; y++) {
        for (x = 0; x < outW; x++) {
          var xmin = h.bounds[x * 2], xmax = h.bounds[x * 2 + 1];
          for (c = 0; c < 3; c++) {
            ss = 1 << (PRECISION_BITS - 1);
            for (k = 0; k < xmax; k++) ss += cur[(y * curW + xmin + k) * 3 + c] * h.kk[x * h.ksize + k];
            tmp[(y * outW + x) * 3 + c] = clip8(ss);
          }
        }
      }
      cur = tmp;
      curW = outW;
    }
    if (outH !== height) {
      var v = coefficients(height, outH);
      var out = new Uint8Array(curW * outH * 3);
      for (y = 0; y < outH; y++) {
        var ymin = v.bounds[y * 2], ymax = v.bounds[y * 2 + 1];
        for (x = 0; x < curW; x++) {
          for (c = 0; c < 3; c++) {
            ss = 1 << (PRECISION_BITS - 1);
            for (k = 0; k < ymax; k++) ss += cur[((ymin + k) * curW + x) * 3 + c] * v.kk[y * v.ksize + k];
            out[(y * curW + x) * 3 + c] = clip8(ss);
          }
        }
      }
      cur = out;
    }
    return cur;
  }

  function linearise(s) { return s <= 0.04045 ? s / 12.92 : Math.pow((s + 0.055) / 1.055, 2.4); }

  function luminanceOf(rgb) {
    return LUMA[0] * linearise(rgb[0] / 255) + LUMA[1] * linearise(rgb[1] / 255) + LUMA[2] * linearise(rgb[2] / 255);
  }

  function lightness(y) {
    var f = y > Math.pow(6 / 29, 3) ? Math.cbrt(y) : y * (841 / 108) + 4 / 29;
    return 116 * f - 16;
  }

  // numpy.percentile's default ("linear") of an unsorted array.
  function percentile(values, p) {
    var sorted = Float64Array.from(values).sort();
    var pos = (sorted.length - 1) * p / 100, lo = Math.floor(pos), hi = Math.min(lo + 1, sorted.length - 1);
    return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
  }

  function judge(contrast, busyness, rule) {
    var reasons = [];
    if (contrast < rule.contrastGood) reasons.push("low_contrast");
    if (busyness > rule.busyShare) reasons.push("busy");
    var level = contrast < rule.contrastMin ? "poor" : reasons.length ? "warning" : "good";
    return { level: level, reasons: reasons };
  }

  // measure_legibility(region, text_rgb, band_rgb, band_opacity) for `pixels`, the region's
  // width x height pixels with `stride` channels each (4 for a canvas' ImageData, 3 for RGB).
  function measure(pixels, width, height, stride, text, band, opacity, rule) {
    if (width < 1 || height < 1) throw new Error("the region under the title is empty");
    var outH = rule.analysisHeight;
    var outW = Math.max(1, roundHalfEven(width * outH / height));
    var rgb = (outW === width && outH === height)
      ? resizeBox(pixels, width, height, stride, width, height)
      : resizeBox(pixels, width, height, stride, outW, outH);
    var n = outW * outH, lum = new Float64Array(n), ratio = new Float64Array(n);
    var textY = luminanceOf(text), i, c, total = 0;
    // Each channel's linear light after the band is mixed in, for each of its 256 values:
    // the same sums as per pixel, without 3 powers per pixel (a cheap phone's budget).
    var table = [new Float64Array(256), new Float64Array(256), new Float64Array(256)];
    for (c = 0; c < 3; c++) {
      for (var v = 0; v < 256; v++) {
        table[c][v] = LUMA[c] * linearise((v / 255) * (1 - opacity) + (band[c] / 255) * opacity);
      }
    }
    for (i = 0; i < n; i++) {
      var y = table[0][rgb[i * 3]] + table[1][rgb[i * 3 + 1]] + table[2][rgb[i * 3 + 2]];
      lum[i] = y;
      total += y;
      ratio[i] = (Math.max(textY, y) + 0.05) / (Math.min(textY, y) + 0.05);
    }
    var contrast = percentile(ratio, rule.contrastPercentile);
    // Sobel on L* / 100 with the border repeated (covers.legibility.sobel): a padded copy.
    var pw = outW + 2, L = new Float64Array(pw * (outH + 2)), px, py;
    for (py = -1; py <= outH; py++) {
      var sy = py < 0 ? 0 : py >= outH ? outH - 1 : py;
      for (px = -1; px <= outW; px++) {
        var sx = px < 0 ? 0 : px >= outW ? outW - 1 : px;
        L[(py + 1) * pw + px + 1] = lightness(lum[sy * outW + sx]) / 100;
      }
    }
    var edges = 0, limit = 4 * rule.edgeStep;
    for (py = 1; py <= outH; py++) {
      var up = (py - 1) * pw, mid = py * pw, down = (py + 1) * pw;
      for (px = 1; px <= outW; px++) {
        var gx = (L[up + px + 1] + 2 * L[mid + px + 1] + L[down + px + 1]) -
          (L[up + px - 1] + 2 * L[mid + px - 1] + L[down + px - 1]);
        var gy = (L[down + px - 1] + 2 * L[down + px] + L[down + px + 1]) -
          (L[up + px - 1] + 2 * L[up + px] + L[up + px + 1]);
        if (Math.sqrt(gx * gx + gy * gy) >= limit) edges++;
      }
    }
    var busyness = edges / n;
    var verdict = judge(contrast, busyness, rule);
    return {
      contrast: contrast, busyness: busyness, level: verdict.level, reasons: verdict.reasons,
      meanLuminance: total / n
    };
  }

  // The rule's constants as the page writes them: "4.5 3 10 0.1 0.15 96".
  function parseRule(text) {
    var v = text.split(" ").map(parseFloat);
    return {
      contrastGood: v[0], contrastMin: v[1], contrastPercentile: v[2], edgeStep: v[3],
      busyShare: v[4], analysisHeight: v[5]
    };
  }

  root.CoverLegibility = {
    measure: measure, resizeBox: resizeBox, parseRule: parseRule, roundHalfEven: roundHalfEven
  };
})(window);
