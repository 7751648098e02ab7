#!/usr/bin/env python3
"""The seed's Keras model, exactly as the seed recipe writes it, timed the way `senti bench` times.

    model = keras.Sequential([
        layers.Embedding(10000, 128),
        layers.LSTM(64),
        layers.Dense(1, activation="sigmoid"),
    ])
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=1e-3, clipnorm=0.1),
                  loss="binary_crossentropy", metrics=["accuracy"])
    model.fit(x_train, y_train, batch_size=32, epochs=20, validation_split=0.2)

Keras 3 on TensorFlow when it is installed, else on JAX (KERAS_BACKEND overrides). Speed runs time
`model.fit` itself (the recipe's own loop): a first fit over the warm-up batches builds and compiles
the train function, a second fit over the timed batches is timed from its first batch to its return
(fit returns only when the device is done), with a callback reading the clock after every batch.
"""
import argparse
import importlib.util
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402


def pick_backend(device):
    """Chooses the Keras backend and hides the GPU for --device cpu; must run before keras is imported."""
    if "KERAS_BACKEND" not in os.environ:
        os.environ["KERAS_BACKEND"] = "tensorflow" if importlib.util.find_spec("tensorflow") else "jax"
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    if device == "cpu":
        os.environ["CUDA_VISIBLE_DEVICES"] = ""
        os.environ["JAX_PLATFORMS"] = "cpu"
    return os.environ["KERAS_BACKEND"]


def build_model(keras, shape):
    from keras import layers
    model = keras.Sequential([
        keras.Input(shape=(shape["maxlen"],), dtype="int32"),
        layers.Embedding(shape["vocab"], shape["embed"]),
        layers.LSTM(shape["hidden"]),
        layers.Dense(1, activation="sigmoid"),
    ])
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=1e-3, clipnorm=0.1),
                  loss="binary_crossentropy", metrics=["accuracy"])
    return model


def device_desc(keras, backend):
    if backend == "tensorflow":
        import tensorflow as tf
        gpus = tf.config.list_logical_devices("GPU")
        return ("cuda" if gpus else "cpu"), f"tensorflow {tf.__version__} ({gpus[0].name if gpus else 'cpu'})"
    import jax
    dev = jax.devices()[0]
    return ("cuda" if dev.platform == "gpu" else "cpu"), f"jax {jax.__version__} ({dev.device_kind})"


def cpu_kernels(backend):
    """The report's line on Keras's CPU math: TensorFlow's Eigen kernels with oneDNN (on by default
    in its x86 builds; TF_ENABLE_ONEDNN_OPTS=0 turns it off), or JAX's XLA."""
    if backend == "tensorflow":
        flag = os.environ.get("TF_ENABLE_ONEDNN_OPTS")
        return dict(library=f"TensorFlow Eigen, oneDNN {'off' if flag == '0' else 'on'} "
                            f"(TF_ENABLE_ONEDNN_OPTS {flag or 'unset'})")
    return dict(library="JAX XLA CPU")


def set_threads(backend, n):
    if n > 0 and backend == "tensorflow":
        import tensorflow as tf
        tf.config.threading.set_intra_op_parallelism_threads(n)
        tf.config.threading.set_inter_op_parallelism_threads(n)


def bench(keras, model, args, shape):
    import numpy as np
    batches, data_name = common.batches_for(args, shape)
    x = np.concatenate([b[0] for b in batches]).astype("int32")
    y = np.concatenate([b[1] for b in batches])
    b, w = shape["batch"], args.warmup * shape["batch"]
    model.fit(x[:w], y[:w], batch_size=b, epochs=1, shuffle=False, verbose=0)  # builds + compiles

    clock = common.StepClock()

    class Ticks(keras.callbacks.Callback):
        def on_train_batch_begin(self, batch, logs=None):
            if batch == 0:
                clock.start()

        def on_train_batch_end(self, batch, logs=None):
            clock.tick()

    model.fit(x[w:], y[w:], batch_size=b, epochs=1, shuffle=False, verbose=0, callbacks=[Ticks()])
    clock.stop()
    return clock.summary(), data_name


def full_recipe(model, args, shape):
    t0 = time.perf_counter()
    data = common.load_imdb(args.data, shape["vocab"], shape["maxlen"], args.tokenizer)
    ids, labels, _ = data["train"]
    # imdb.load_data returns the training set shuffled; fit(validation_split=0.2) then holds out
    # its last 20% (common.recipe_split builds the same split for the other frameworks).
    order = common.shuffled_rows(len(labels), args.seed, args.limit)
    x_test, y_test, _ = common.limit_test(data, args.seed, args.limit)
    load_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    hist = model.fit(ids[order].astype("int32"), labels[order], batch_size=shape["batch"],
                     epochs=args.epochs, validation_split=0.2, verbose=2)
    train_s = time.perf_counter() - t0
    _, test_acc = model.evaluate(x_test.astype("int32"), y_test, batch_size=256, verbose=0)
    steps = args.epochs * -(-(len(order) - int(round(0.2 * len(order)))) // shape["batch"])
    return dict(epochs=args.epochs, train_steps=steps, train_wall_s=train_s, load_s=load_s,
                val_accuracy=float(hist.history["val_accuracy"][-1]), test_accuracy=float(test_acc))


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    common.add_common_args(p)
    args = p.parse_args()
    shape = common.resolve_shape(args)
    backend = pick_backend(args.device)
    import keras
    set_threads(backend, args.threads)
    keras.utils.set_random_seed(args.seed)
    device, desc = device_desc(keras, backend)
    if args.device == "cuda" and device != "cuda":
        raise SystemExit(f"--device cuda: Keras on {backend} sees no GPU")
    model = build_model(keras, shape)
    extra = dict(version=f"keras {keras.__version__}", keras_backend=backend, blas=cpu_kernels(backend))
    if args.full:
        extra.update(full_recipe(model, args, shape))
        timing = dict(ms_per_step=1e3 * extra["train_wall_s"] / extra["train_steps"], median_ms=None)
        data_name = "imdb"
    else:
        timing, data_name = bench(keras, model, args, shape)
    common.emit(common.record("keras", backend, device, desc, shape, args, timing, data_name, extra),
                args.json)


if __name__ == "__main__":
    main()
