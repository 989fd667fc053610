-- CreateTable
CREATE TABLE "user_default_models" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "user_id" TEXT NOT NULL,
    "model_id" INTEGER NOT NULL,
    "config_type" TEXT NOT NULL,
    "set_by_admin" BOOLEAN NOT NULL DEFAULT false,
    "created_at" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "user_default_models_model_id_fkey" FOREIGN KEY ("model_id") REFERENCES "models" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);

-- CreateIndex
CREATE INDEX "user_default_models_model_id_idx" ON "user_default_models"("model_id");

-- CreateIndex
CREATE INDEX "user_default_models_config_type_set_by_admin_idx" ON "user_default_models"("config_type", "set_by_admin");

-- CreateIndex
CREATE UNIQUE INDEX "user_default_models_user_id_config_type_key" ON "user_default_models"("user_id", "config_type");
