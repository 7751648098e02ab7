#pragma once
// The page `senti serve` returns for GET /: one self-contained HTML document (inline CSS and JS, no
// external resources, so it works offline and on loopback) compiled into the binary.
//
// A text area, a Predict button, the result as a label with a probability bar and the review with
// each word highlighted by its contribution (green towards positive, red towards negative; the
// API's "explain", host/run/explainer.h), and example reviews (written for this page, not taken
// from IMDB) that fill the text area when clicked. The result box is hidden until the first
// prediction (no empty bar on a fresh page).
//
// K-class models (a prediction with "probs"): the label is the predicted class, and every class
// gets a row with its name, a bar and its probability, most probable first; the words are
// coloured by their contribution to the predicted class (the explanation's "class"). The page asks
// GET /healthz once for the model's "classes" and "head" to name them under the title (a
// multi-label model: each label's probability on its own, the labels above 0.5 listed).
//
// Automation hook for the browser test: opening "/?demo=<text>" types <text> into the text area and
// clicks the button through the same DOM events a user triggers (input + click), so a headless
// browser that cannot click (chromium --dump-dom) still exercises the real handlers. The result
// element carries data-state="done" and data-label="positive|negative" once shown, and
// data-state="error" with the message when the request failed; each highlighted word is a
// <span class="w" data-c="<contribution, 4 decimals>">. K classes: data-label is the predicted
// class, and each class row is <div class="class-row" data-class="<name>" data-p="<p, 4 decimals>">.
#include <string_view>

namespace senti::cli {

inline constexpr std::string_view kServePage = R"HTML(<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>senti: review sentiment</title>
<style>
  body { font-family: system-ui, sans-serif; max-width: 46rem; margin: 2rem auto; padding: 0 1rem;
         color: #222; background: #fafafa; }
  h1 { font-size: 1.4rem; margin-bottom: .2rem; }
  p.sub { color: #666; margin-top: 0; }
  textarea { width: 100%; box-sizing: border-box; min-height: 9rem; font: inherit; padding: .6rem;
             border: 1px solid #bbb; border-radius: 6px; }
  button { font: inherit; cursor: pointer; border-radius: 6px; }
  #predict { margin-top: .6rem; padding: .5rem 1.4rem; border: 0; background: #2a62c9; color: #fff; }
  #predict:disabled { background: #8aa5d6; cursor: wait; }
  #result { margin-top: 1.2rem; padding: 1rem; border-radius: 6px; background: #fff;
            border: 1px solid #ddd; min-height: 3.2rem; }
  #result[data-state="idle"] { display: none; }
  #why { margin-top: .8rem; line-height: 1.7; white-space: pre-wrap; }
  #why .w { border-radius: 3px; padding: 0 .1rem; }
  #why .unseen { color: #999; }
  #why-legend { color: #666; font-size: .85rem; margin-top: .6rem; }
  #label { font-size: 1.3rem; font-weight: 600; }
  #label.positive { color: #1c7c38; } #label.negative { color: #b3261e; }
  #bar { height: .9rem; background: #f1c6c2; border-radius: 5px; overflow: hidden; margin-top: .5rem; }
  #bar-fill { height: 100%; width: 0; background: #2e9d4f; transition: width .3s; }
  #prob { color: #555; font-size: .9rem; margin-top: .3rem; }
  #error { color: #b3261e; }
  #classes .class-row { display: flex; align-items: center; gap: .6rem; margin-top: .35rem; }
  #classes .class-name { flex: 0 0 9rem; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
  #classes .class-bar { flex: 1; height: .8rem; background: #e4e8f0; border-radius: 4px; overflow: hidden; }
  #classes .class-fill { height: 100%; background: #2a62c9; }
  #classes .class-row.top .class-name { font-weight: 600; }
  #classes .class-prob { flex: 0 0 4rem; text-align: right; color: #555; font-size: .9rem; }
  .examples { margin-top: 1.4rem; }
  .example { display: block; width: 100%; text-align: left; margin: .35rem 0; padding: .5rem .7rem;
             border: 1px solid #ccc; background: #fff; color: #333; }
  .example:hover { border-color: #2a62c9; }
</style>
</head>
<body>
<h1>senti</h1>
<p class="sub">Is this movie review positive or negative? An LSTM trained on IMDB reviews decides.</p>
<textarea id="review" placeholder="Type or paste a movie review..."></textarea>
<button id="predict">Predict</button>
<div id="result" data-state="idle" aria-live="polite">
  <div id="label"></div>
  <div id="bar" title="probability of positive"><div id="bar-fill"></div></div>
  <div id="prob"></div>
  <div id="classes"></div>
  <div id="why-legend"></div>
  <div id="why"></div>
  <div id="error"></div>
</div>
<div class="examples">
  <div>Examples (click to try):</div>
  <button class="example">A warm, funny and beautifully acted film. The two leads have real chemistry and the ending made me smile for hours. I would happily watch it again.</button>
  <button class="example">Two hours of my life I will never get back. The plot makes no sense, the dialogue is wooden and the twist is obvious from the first scene. Avoid.</button>
  <button class="example">The visuals are stunning and the score is memorable, but the story drags badly in the middle and the characters never feel real.</button>
  <button class="example">I expected very little from a sequel, yet this one surprised me: smart writing, great pacing and a villain you actually care about.</button>
</div>
<script>
(function () {
  var review = document.getElementById('review');
  var button = document.getElementById('predict');
  var result = document.getElementById('result');
  var label = document.getElementById('label');
  var fill = document.getElementById('bar-fill');
  var prob = document.getElementById('prob');
  var error = document.getElementById('error');
  var why = document.getElementById('why');
  var legend = document.getElementById('why-legend');
  var classes = document.getElementById('classes');
  var bar = document.getElementById('bar');
  var model = { head: 'sigmoid', classes: null };  // from GET /healthz, when it says

  // The review with each word coloured by its contribution. Offsets are UTF-8 bytes of the text
  // that was sent, so the text is sliced as bytes.
  function highlight(text, explanation) {
    why.textContent = '';
    legend.textContent = '';
    if (!explanation) return;
    var bytes = new TextEncoder().encode(text), dec = new TextDecoder();
    var piece = function (a, b) { return dec.decode(bytes.slice(a, b)); };
    var words = explanation.words, top = 1e-9;
    words.forEach(function (w) { if (w.contribution !== null) top = Math.max(top, Math.abs(w.contribution)); });
    var at = 0;
    words.forEach(function (w) {
      if (w.start > at) why.appendChild(document.createTextNode(piece(at, w.start)));
      var span = document.createElement('span');
      span.textContent = piece(w.start, w.end);
      if (w.contribution === null) {
        span.className = 'w unseen';
        span.title = 'not read by the model (past maxlen)';
      } else {
        var c = w.contribution, a = (0.85 * Math.abs(c) / top).toFixed(3);
        span.className = 'w';
        span.dataset.c = c.toFixed(4);
        span.style.background = c >= 0 ? 'rgba(46,157,79,' + a + ')' : 'rgba(200,50,40,' + a + ')';
        span.title = (c >= 0 ? '+' : '') + c.toFixed(3) + ' log-odds';
      }
      why.appendChild(span);
      at = w.end;
    });
    if (at < bytes.length) why.appendChild(document.createTextNode(piece(at, bytes.length)));
    legend.textContent = explanation['class'] === undefined
        ? 'Why: each word\'s contribution (' + explanation.unit + ', by ' +
          'leaving it out): green pushed towards positive, red towards negative.'
        : 'Why: each word\'s contribution (' + explanation.unit + ' of ' + explanation['class'] +
          ', by leaving it out): green pushed towards ' + explanation['class'] + ', red away from it.';
  }

  // A K-class prediction: the predicted class, and a row per class, most probable first.
  function showClasses(pred) {
    var names = Object.keys(pred.probs);
    names.sort(function (a, b) { return pred.probs[b] - pred.probs[a]; });
    classes.textContent = '';
    names.forEach(function (name) {
      var p = pred.probs[name];
      var row = document.createElement('div');
      row.className = name === pred.label ? 'class-row top' : 'class-row';
      row.dataset['class'] = name;
      row.dataset.p = p.toFixed(4);
      var n = document.createElement('span'), b = document.createElement('div');
      var f = document.createElement('div'), v = document.createElement('span');
      n.className = 'class-name'; n.textContent = name; n.title = name;
      b.className = 'class-bar'; f.className = 'class-fill'; f.style.width = (100 * p).toFixed(1) + '%';
      v.className = 'class-prob'; v.textContent = p.toFixed(4);
      b.appendChild(f); row.appendChild(n); row.appendChild(b); row.appendChild(v);
      classes.appendChild(row);
    });
    bar.style.display = 'none';
    label.textContent = pred.label;
    label.className = '';
    if (model.head === 'multi-label') {
      var above = names.filter(function (name) { return pred.probs[name] > 0.5; });
      prob.textContent = 'labels above 0.5: ' + (above.length ? above.join(', ') : 'none') +
          ' (each label\'s probability on its own)';
    } else {
      prob.textContent = 'probability of ' + pred.label + ': ' + pred.probs[pred.label].toFixed(4);
    }
    error.textContent = '';
    result.dataset.label = pred.label;
    result.dataset.state = 'done';
  }
  function show(p) {
    classes.textContent = '';
    bar.style.display = '';
    var positive = p > 0.5;
    label.textContent = positive ? 'positive' : 'negative';
    label.className = positive ? 'positive' : 'negative';
    fill.style.width = (100 * p).toFixed(1) + '%';
    prob.textContent = 'probability of positive: ' + p.toFixed(4);
    error.textContent = '';
    result.dataset.label = label.textContent;
    result.dataset.state = 'done';
  }
  function fail(message) {
    label.textContent = ''; label.className = ''; fill.style.width = '0'; prob.textContent = '';
    classes.textContent = '';
    why.textContent = ''; legend.textContent = '';
    error.textContent = message;
    result.dataset.state = 'error';
  }
  // The model's classes under the title (K-class models; two-class pages stay as they are).
  // Predictions wait for it, so a multi-label model's first result is worded as one.
  var ready = fetch('/healthz').then(function (r) { return r.json(); }).then(function (body) {
    var m = body.model || {};
    if (m.head) model.head = m.head;
    if (!m.classes || m.head === undefined || m.head === 'sigmoid') return;
    model.classes = m.classes;
    document.querySelector('p.sub').textContent = (m.head === 'multi-label'
        ? 'Which of these ' + m.classes.length + ' labels apply? '
        : 'Which of these ' + m.classes.length + ' classes is it? ') + m.classes.join(', ') +
        '. An LSTM trained on labelled texts decides.';
    review.placeholder = 'Type or paste a text...';
    document.title = 'senti: ' + m.classes.length + ' classes';
  }).catch(function () {});

  function predict() {
    var text = review.value;
    if (!text.trim()) { fail('Type a review first.'); return; }
    button.disabled = true;
    result.dataset.state = 'busy';
    ready.then(function () {
      return fetch('/v1/predict', { method: 'POST', headers: { 'Content-Type': 'application/json' },
                                    body: JSON.stringify({ texts: [text], explain: true }) });
    })
      .then(function (r) { return r.json().then(function (body) { return { ok: r.ok, body: body }; }); })
      .then(function (r) {
        if (!r.ok) throw new Error(r.body.error || 'request failed');
        var pred = r.body.predictions[0];
        if (pred.probs) showClasses(pred); else show(pred.prob_positive);
        highlight(text, pred.explanation);
      })
      .catch(function (e) { fail('Error: ' + e.message); })
      .then(function () { button.disabled = false; });
  }
  button.addEventListener('click', predict);
  review.addEventListener('keydown', function (e) {
    if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) predict();
  });
  Array.prototype.forEach.call(document.querySelectorAll('.example'), function (b) {
    b.addEventListener('click', function () { review.value = b.textContent; predict(); });
  });

  // Automation hook (see serve_page.h): type the text, then click, through real DOM events.
  var demo = new URLSearchParams(window.location.search).get('demo');
  if (demo !== null) {
    review.focus();
    review.value = demo;
    review.dispatchEvent(new Event('input', { bubbles: true }));
    button.click();
  }
})();
</script>
</body>
</html>
)HTML";

}  // namespace senti::cli
