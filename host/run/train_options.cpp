#include "host/run/train_options.h"

#include <cmath>

#include "kernels/common/error.h"

namespace senti {

void validate_train_options(const TrainOptions& o) {
  // Written as !(ok) where a double is compared, so that NaN is refused too.
  if (o.batch_size < 1 || o.batch_size > kMaxTrainBatch)
    SENTI_FAIL_SETTING("batch_size", "must be in 1..", kMaxTrainBatch, ", got ", o.batch_size);
  if (o.epochs < 1) SENTI_FAIL_SETTING("epochs", "must be >= 1, got ", o.epochs);
  if (!(o.validation_split >= 0 && o.validation_split < 1))
    SENTI_FAIL_SETTING("validation_split", "must be in [0, 1), got ", o.validation_split);
  if (o.limit < 0) SENTI_FAIL_SETTING("limit", "must be >= 0 (0 = all), got ", o.limit);
  if (o.test_limit < -1)
    SENTI_FAIL_SETTING("test_limit", "must be >= 0 (0 = skip) or -1 (all), got ", o.test_limit);
  if (o.log_every < 0) SENTI_FAIL_SETTING("log_every", "must be >= 0 (0 = off), got ", o.log_every);
  if (!(std::isfinite(o.max_loss) && o.max_loss >= 0))
    SENTI_FAIL_SETTING("max_loss", "must be a finite number >= 0 (0 = off), got ", o.max_loss);
  if (o.monitor != "val_acc" && o.monitor != "val_loss" && o.monitor != "val_macro_f1")
    SENTI_FAIL_SETTING("monitor", "must be val_acc, val_loss or val_macro_f1, got '", o.monitor, "'");
  if (o.early_stopping < 0)
    SENTI_FAIL_SETTING("early_stopping", "must be >= 0 (epochs of patience; 0 = off), got ",
                       o.early_stopping);
  if (o.validation_split_by != "review" && o.validation_split_by != "movie")
    SENTI_FAIL_SETTING("validation_split_by", "must be review or movie, got '",
                       o.validation_split_by, "'");
  if (o.early_stopping > 0 && o.validation_split <= 0)
    SENTI_FAIL_SETTING("early_stopping", "needs validation data: pass --validation-split > 0");
}

void validate_train_options(const TrainOptions& o, const ModelConfig& model) {
  validate_train_options(o);
  if (o.bucket && !model.mask)
    SENTI_FAIL_SETTING("bucket", "needs --mask: without the mask the padding is part of the "
                       "model's input, so batches trimmed to their longest review would change "
                       "what the model sees");
}

}  // namespace senti
