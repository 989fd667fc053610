-- CreateSchema
CREATE SCHEMA IF NOT EXISTS "public";

-- CreateTable
CREATE TABLE "models" (
    "id" SERIAL NOT NULL,
    "model_id" TEXT NOT NULL,
    "owner_id" TEXT NOT NULL,
    "category" TEXT NOT NULL DEFAULT 'llm',
    "model_provider" TEXT NOT NULL,
    "model_name" TEXT NOT NULL,
    "api_key_encrypted" TEXT,
    "base_url" TEXT,
    "temperature" DOUBLE PRECISION,
    "dimension" INTEGER,
    "description" TEXT,
    "abilities" JSONB,
    "is_shared" BOOLEAN NOT NULL DEFAULT false,
    "is_active" BOOLEAN NOT NULL DEFAULT true,
    "version" INTEGER NOT NULL DEFAULT 1,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "models_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "models_model_id_key" ON "models"("model_id");

-- CreateIndex
CREATE INDEX "models_owner_id_idx" ON "models"("owner_id");

-- CreateIndex
CREATE INDEX "models_is_shared_is_active_idx" ON "models"("is_shared", "is_active");
